"""`make run`: the whole product on embedded defaults, in one command.

Starts (or reuses) the SecantusDB dev server on `.devdb/data`, migrates, creates a
staff login plus a demo organization and agent, then runs a Celery worker and the
ASGI server (HTTP + WebSocket, with static files and auto-reload) until Ctrl-C.
Set MONGODB_URI / REDIS_URL to use real MongoDB / Redis instead.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from myagent.devdb.launcher import PROJECT_ROOT, ensure_server

DEVDB = PROJECT_ROOT / ".devdb"


def _manage(*args: str, env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, env=env, check=True,
        stdout=subprocess.PIPE if capture else None, text=True,
    )  # fmt: skip
    return result.stdout or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "myagent.settings.local")
    if not env.get("MONGODB_URI"):
        env["MONGODB_URI"] = ensure_server(data_dir=DEVDB / "data")
    if not env.get("REDIS_URL"):
        for folder in ("queue", "queue/processed"):
            (DEVDB / folder).mkdir(parents=True, exist_ok=True)
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{args.port}")

    _manage("migrate", "--noinput", "-v", "0", env=env)
    login = json.loads(_manage("bootstrap_dev", env=env, capture=True).strip().splitlines()[-1])

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "myagent", "worker", "-P", "solo", "-l", "WARNING"],
        cwd=PROJECT_ROOT, env=env,
    )  # fmt: skip
    web = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{args.port}"], cwd=PROJECT_ROOT, env=env
    )
    url = f"http://127.0.0.1:{args.port}"
    print(
        f"\n  MyAgent is running at {url}/app/\n"
        f"  Log in as {login['email']} / {login['password']} (staff: {url}/admin/)\n"
        f"  API docs: {url}/api/v1/docs/   Widget demo: examples/demo.html\n"
        f"  Database: {'MONGODB_URI' if os.environ.get('MONGODB_URI') else 'embedded SecantusDB in .devdb/'}; "
        f"queue: {'Redis' if env.get('REDIS_URL') else 'filesystem (.devdb/queue)'}. Ctrl-C stops everything.\n",
        flush=True,
    )

    def stop(*_: object) -> None:
        for process in (web, worker):
            if process.poll() is None:
                process.terminate()
        for process in (web, worker):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while web.poll() is None and worker.poll() is None:
        time.sleep(0.5)
    stop()


if __name__ == "__main__":
    main()
