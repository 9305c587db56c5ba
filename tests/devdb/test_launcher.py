"""The dev database launcher: servers start, are shared per data folder, and never outlive their owner.

No Django here. Run alone with:
    .venv/bin/python -m pytest -p no:django --noconftest tests/devdb -q
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from myagent.devdb.launcher import PROJECT_ROOT, DevServerError, ensure_server, start_server

# A stand-in for `make run`: a process that owns a dev server, prints its URI, and idles.
OWNER_SCRIPT = """
import sys, time
from myagent.devdb.launcher import ensure_server
print(ensure_server(data_dir=sys.argv[1]), flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    """True while ``pid`` runs. A zombie (exited, not yet reaped) counts as gone."""
    if Path("/proc").is_dir():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _running(pid):
            return True
        time.sleep(0.05)
    return False


def _ping(uri: str) -> bool:
    client: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=2000)
    try:
        return bool(client.admin.command("ping")["ok"] == 1.0)
    finally:
        client.close()


def _insert_one(uri: str) -> None:
    with MongoClient[dict[str, Any]](uri) as client:
        client["db"]["things"].insert_one({"_id": 1})


def _count(uri: str) -> int:
    with MongoClient[dict[str, Any]](uri) as client:
        return client["db"]["things"].count_documents({})


def _python(*args: str) -> list[str]:
    return [sys.executable, *args]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **extra}


@pytest.fixture
def owner_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A separate process that owns the dev server for ``tmp_path / "data"``."""
    process = subprocess.Popen(
        _python("-c", OWNER_SCRIPT, str(tmp_path / "data")),
        stdout=subprocess.PIPE,
        text=True,
        # A killed owner cannot clean its launcher temp dir; keep it in tmp_path.
        env=_env(TMPDIR=str(tmp_path)),
    )
    assert process.stdout is not None
    uri = process.stdout.readline().strip()
    yield process, uri
    process.kill()
    process.wait()


def test_start_and_stop_leave_no_process_behind() -> None:
    server = start_server(memory=True)
    assert _ping(server.uri)

    server.stop()

    assert not _running(server.pid)
    server.stop()  # a second stop (e.g. the atexit hook) is harmless


def test_in_memory_data_is_gone_after_restart() -> None:
    first = start_server(memory=True)
    _insert_one(first.uri)
    first.stop()
    second = start_server(memory=True)
    try:
        assert _count(second.uri) == 0
    finally:
        second.stop()


def test_data_folder_survives_restart(tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data")
    _insert_one(first.uri)
    first.stop()
    second = start_server(data_dir=tmp_path / "data")
    try:
        assert _count(second.uri) == 1
    finally:
        second.stop()


def test_server_exits_when_its_owner_is_killed(
    owner_process: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    process, uri = owner_process
    server_pid = json.loads((tmp_path / "data.server.json").read_text())["pid"]
    assert _ping(uri)

    process.send_signal(signal.SIGKILL)  # no atexit: only the parent-death poll can stop it
    process.wait()

    assert _wait_until_gone(server_pid), "dev server outlived its owner"


def test_server_exits_when_its_owner_died_before_it_started() -> None:
    # The race start_server guards against: the owner dies while the child is still importing.
    dead_owner = subprocess.run(_python("-c", "import os; print(os.getpid())"), capture_output=True, text=True)
    server = subprocess.Popen(
        _python("-m", "myagent.devdb", "serve", "--memory", "--owner-pid", dead_owner.stdout.strip()),
        stdout=subprocess.DEVNULL,
        env=_env(),
    )
    try:
        assert server.wait(timeout=30) == 0
    finally:
        server.kill()


def test_ensure_server_reuses_the_live_server(owner_process: tuple[subprocess.Popen[str], str], tmp_path: Path) -> None:
    _, uri = owner_process
    server_pid = json.loads((tmp_path / "data.server.json").read_text())["pid"]

    # What a second `manage.py` does while `make run` serves the same folder.
    reused = subprocess.run(
        _python(
            "-c",
            "import sys; from myagent.devdb.launcher import ensure_server; print(ensure_server(data_dir=sys.argv[1]))",
            str(tmp_path / "data"),
        ),
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
        timeout=60,
    )

    assert reused.stdout.strip() == uri
    assert json.loads((tmp_path / "data.server.json").read_text())["pid"] == server_pid
    assert _ping(uri), "the reusing process stopped a server it does not own"


def test_ensure_server_replaces_a_dead_server(owner_process: tuple[subprocess.Popen[str], str], tmp_path: Path) -> None:
    process, _ = owner_process
    old_pid = json.loads((tmp_path / "data.server.json").read_text())["pid"]
    process.kill()
    process.wait()
    assert _wait_until_gone(old_pid)

    uri = ensure_server(data_dir=tmp_path / "data")

    new_pid = json.loads((tmp_path / "data.server.json").read_text())["pid"]
    assert new_pid != old_pid
    assert _ping(uri)
    os.kill(new_pid, signal.SIGTERM)
    assert _wait_until_gone(new_pid)


def test_second_server_on_one_data_folder_is_refused(tmp_path: Path) -> None:
    server = start_server(data_dir=tmp_path / "data")
    try:
        with pytest.raises(DevServerError, match="already open in another process"):
            start_server(data_dir=tmp_path / "data")
        assert _ping(server.uri)
    finally:
        server.stop()


def test_serve_cli_requires_a_storage_choice() -> None:
    result = subprocess.run(
        _python("-m", "myagent.devdb", "serve"), capture_output=True, text=True, env=_env(), timeout=60
    )
    assert result.returncode == 2
    assert "--memory" in result.stderr
