"""Dev/test MongoDB server: SecantusDB in a child process.

Development and test only. SecantusDB is GPL-2.0, so nothing in the app imports
it: it is imported lazily, inside ``serve()``, which only runs in the
``python -m myagent.devdb serve`` process. ``start_server`` and ``ensure_server``
talk to that process through a ready file and a state file, never by import.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARENT_POLL_SECONDS = 0.5
READY_POLL_SECONDS = 0.02
STOP_TIMEOUT_SECONDS = 10.0
PING_TIMEOUT_MS = 2000


class DevServerError(RuntimeError):
    """The dev database server could not be started or reached."""


# --- the server process ------------------------------------------------------------


def serve(
    *, storage: str, host: str, port: int, ready_file: Path | None, compat: bool, owner_pid: int | None = None
) -> None:
    """Run SecantusDB in this process until SIGTERM/SIGINT or until its owner dies.

    ``storage`` is a data directory or ``":memory:"`` (SecantusDB's spelling for
    an in-memory WiredTiger store). The URI is written to ``ready_file`` once
    the socket accepts connections. The owner is the parent process that
    started it: ``owner_pid`` (passed by ``start_server``), else the parent at startup.
    """
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # start_server passes its pid: if it died before we got here, we are already
    # reparented and would otherwise watch init forever.
    owner_pid = owner_pid or os.getppid()
    if owner_pid == 1:
        print("devdb: started without an owner process; runs until SIGTERM", file=sys.stderr, flush=True)
    warmup = threading.Thread(target=_warm_up_wiredtiger, daemon=True)
    warmup.start()

    from secantus import SecantusDBServer
    from wiredtiger import WiredTigerError

    if compat:
        from myagent.devdb import compat as compat_layer

        compat_layer.apply()
    warmup.join()
    try:
        server = SecantusDBServer(host=host, port=port, storage_path=storage)
    except WiredTigerError as exc:
        if "busy" in str(exc).lower():
            raise DevServerError(f"{storage} is already open in another process (WiredTiger lock)") from exc
        raise
    server.start()
    try:
        if ready_file is not None:
            write_atomically(ready_file, server.uri)
        print(f"devdb: serving {server.uri} ({storage})", flush=True)
        # A crashed test run or a killed `make run` must not leave a server behind.
        while not stop.wait(PARENT_POLL_SECONDS):
            if os.getppid() != owner_pid:
                break
    finally:
        _stop_secantus(server)
        if ready_file is not None:
            # A ready file left behind would claim a dead server is up.
            ready_file.unlink(missing_ok=True)


def _warm_up_wiredtiger() -> None:
    """Pay WiredTiger's one-time start cost while the main thread imports SecantusDB.

    The first ``wiredtiger_open`` in a process spends ~0.65 s calibrating its
    clock (``__global_once``); it releases the GIL, so it overlaps the imports.
    """
    import wiredtiger

    with tempfile.TemporaryDirectory(prefix="myagent-devdb-warmup-") as home:
        wiredtiger.wiredtiger_open(home, "create,in_memory=true").close()


def _stop_secantus(server: Any) -> None:
    # SecantusDBServer.stop() closes the listening socket, which does not wake a
    # thread blocked in accept() on Linux: it then waits out a 2 s join timeout.
    # shutdown() does wake it.
    listener = getattr(server, "_socket", None)
    if listener is not None:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
    server.stop()


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` so a reader polling ``path`` never sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


# --- starting it from another process ----------------------------------------------


@dataclass
class DevServer:
    """A running ``serve`` process owned by this process."""

    uri: str
    pid: int
    _process: subprocess.Popen[bytes] = field(repr=False)
    _workdir: Path = field(repr=False)
    # A forked child inherits the atexit hook; only the owner may stop the server.
    _owner_pid: int = field(default_factory=os.getpid, repr=False)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``). Idempotent."""
        if os.getpid() != self._owner_pid:
            return
        atexit.unregister(self.stop)
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._workdir, ignore_errors=True)


def start_server(
    *,
    memory: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    compat: bool = True,
    log_file: Path | None = None,
) -> DevServer:
    """Start a dev server in a child process and wait until it accepts connections.

    Exactly one of ``memory=True`` or ``data_dir`` must be given. The server is
    stopped at interpreter exit, and stops itself if this process dies.
    ``compat=False`` (canary tests only) skips the compatibility layer. The
    child's output goes to ``log_file`` (default: a temporary file removed on stop).
    """
    if memory == (data_dir is not None):
        raise ValueError("pass exactly one of memory=True or data_dir=...")
    storage_args = ["--data", str(Path(data_dir).resolve())] if data_dir is not None else ["--memory"]
    workdir = Path(tempfile.mkdtemp(prefix="myagent-devdb-"))
    ready_file = workdir / "uri"
    log_path = log_file or workdir / "server.log"
    command = [sys.executable, "-m", "myagent.devdb", "serve", *storage_args, "--ready-file", str(ready_file)]
    command += ["--owner-pid", str(os.getpid())]
    if not compat:
        command.append("--no-compat")
    # Importable from any working directory, e.g. a test that chdirs.
    python_path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": python_path},
            # Own session: a Ctrl-C meant for pytest or runserver must not kill the
            # database under their teardown; the owner stops it, or it notices the
            # owner is gone.
            start_new_session=True,
        )
    # The URI is only known once the child has bound its port.
    server = DevServer(uri="", pid=process.pid, _process=process, _workdir=workdir)
    atexit.register(server.stop)
    try:
        server.uri = _wait_until_ready(process, ready_file, log_path, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(process: subprocess.Popen[bytes], ready_file: Path, log_path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready_file.exists():
            return ready_file.read_text().strip()
        if process.poll() is not None:
            raise DevServerError(f"dev database exited with {process.returncode}:\n{_tail(log_path)}")
        time.sleep(READY_POLL_SECONDS)
    raise DevServerError(f"dev database not ready after {timeout:.0f}s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- one shared server per data folder ---------------------------------------------


def ensure_server(*, data_dir: str | os.PathLike[str]) -> str:
    """Return the URI of the dev server for ``data_dir``, starting one if none is live.

    WiredTiger locks a data folder to one process, so every caller (``make run``,
    each ``manage.py`` command, runserver's autoreloader child) must share one
    server. ``<data_dir>.server.json`` next to the folder records it; a file lock
    makes check-then-start atomic between processes. A server started here
    belongs to this process and stops when it exits.
    """
    data = Path(data_dir).resolve()
    data.parent.mkdir(parents=True, exist_ok=True)
    state_file = data.with_name(f"{data.name}.server.json")
    with _exclusive_lock(data.with_name(f"{data.name}.server.lock")):
        uri = _live_server_uri(state_file)
        if uri is not None:
            return uri
        server = start_server(data_dir=data, log_file=data.with_name(f"{data.name}.server.log"))
        write_atomically(state_file, json.dumps({"pid": server.pid, "uri": server.uri, "data_dir": str(data)}))
        return server.uri


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _live_server_uri(state_file: Path) -> str | None:
    try:
        state = json.loads(state_file.read_text())
        pid, uri = int(state["pid"]), str(state["uri"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _pid_alive(pid) and _ping(uri):
        return uri
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ping(uri: str) -> bool:
    # Imported here: the serve process imports this module and does not need pymongo.
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client: MongoClient[dict[str, Any]] = MongoClient(
        uri, directConnection=True, serverSelectionTimeoutMS=PING_TIMEOUT_MS, connect=False
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True
