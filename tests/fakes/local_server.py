"""Lifecycle shared by the fake vendor servers: bind, serve in a thread, stop cleanly.

Standard library only, so the fakes run anywhere the tests run (and in `bench/`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self


class _TrackingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive connections from pooled clients (httpx, requests) keep a handler
    # thread parked in readline(); joining them on close would hang stop().
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: FakeServer) -> None:
        self.owner = owner
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)


class FakeRequestHandler(BaseHTTPRequestHandler):
    """Base handler: HTTP/1.1 keep-alive like the real vendors, quiet logs, JSON helpers."""

    protocol_version = "HTTP/1.1"
    server: _TrackingHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        # The client may already be gone; there is nothing left to flush to it.
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # test output stays readable; requests are recorded on the fake instead

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FakeServer:
    """A local HTTP server on 127.0.0.1, a free port, in a daemon thread.

    Subclasses set `handler_class`. Shared mutable state lives behind `self._cond`
    so tests can block on it with `wait_until` instead of sleeping.
    """

    handler_class: ClassVar[type[FakeRequestHandler]]

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._httpd: _TrackingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        # Set on stop() so handlers sleeping on a scripted delay wake up at once.
        self.stopping = threading.Event()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        self._httpd = _TrackingHTTPServer(self._address, self.handler_class, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.stopping.set()
        httpd.shutdown()
        # Unblock handler threads parked on idle keep-alive sockets.
        with httpd.connections_lock:
            for conn in list(httpd.open_connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def serve_forever(self) -> None:
        """Block the calling thread (for `python -m ...` benchmark use)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addressing ----------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    # -- waiting on state ------------------------------------------------------------

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Wait until `predicate()` holds (re-checked on every state change); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    async def wait_until_async(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """`wait_until` for async tests: blocking the event loop would stall the very
        client (aiohttp, httpx) whose socket close or next request the test waits for."""
        return await asyncio.to_thread(self.wait_until, predicate, timeout)

    def _changed(self) -> None:
        """Call with `self._cond` held after mutating recorded state."""
        self._cond.notify_all()
