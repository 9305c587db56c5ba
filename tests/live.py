"""Real processes for end-to-end tests: daphne (HTTP + WebSocket), a Celery worker, and
headless Chromium. They share this test run's database server, database and Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: same DB server, the *test* database, Redis."""
    from django.db import connection

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="myagent.settings.test",
        MONGODB_NAME=connection.settings_dict["NAME"],
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


class LiveServer:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def fake_twilio_server():
    from tests.fakes import FakeTwilio

    server = FakeTwilio()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_twilio(fake_twilio_server, settings):
    fake_twilio_server.reset()
    fake_twilio_server.credentials = None
    settings.TWILIO_API_BASE_URL = fake_twilio_server.base_url
    return fake_twilio_server


@pytest.fixture(scope="session")
def live_server_url_env(fake_openai_server, fake_twilio_server) -> dict[str, str]:
    return {"TWILIO_API_BASE_URL": fake_twilio_server.base_url}


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker, live_server_url_env) -> Iterator[LiveServer]:
    """daphne serving myagent.asgi on a free port, against the test database."""
    port = free_port()
    with django_db_blocker.unblock():
        env = child_env(PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", **live_server_url_env)
    log = open(ROOT / f".pytest-daphne-{port}.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "myagent.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
        yield LiveServer(port)
    finally:
        stop(process)
        log.close()
        Path(log.name).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, live_server_url_env) -> Iterator[subprocess.Popen]:
    """A real Celery worker consuming this run's queue over Redis."""
    from django.conf import settings

    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: the Celery worker test needs Redis")
    with django_db_blocker.unblock():
        env = child_env(**live_server_url_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "myagent", "worker", "-P", "solo", "-c", "1",
         "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    time.sleep(1.0)
    if process.poll() is not None:
        raise RuntimeError("celery worker failed to start")
    yield process
    stop(process)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (never Playwright's own download).

    Module-scoped on purpose: Playwright's sync API marks its event loop as running in
    the calling thread for as long as it lives, and Django then refuses ORM calls
    (SynchronousOnlyOperation). Within a browser module the ORM is allowed
    (DJANGO_ALLOW_ASYNC_UNSAFE: the loop is suspended while test code runs); every other
    module runs with Django's check intact.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run", "--disable-quic"],
            )  # fmt: skip
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
