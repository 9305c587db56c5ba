#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myagent.settings.local")
    if "MONGODB_URI" not in os.environ and os.environ["DJANGO_SETTINGS_MODULE"].endswith(".local"):
        # Development convenience: no MongoDB configured, so use the embedded SecantusDB
        # dev server (reusing the one `make run` started, if any).
        from myagent.devdb.launcher import ensure_server

        os.environ["MONGODB_URI"] = ensure_server(data_dir=os.path.join(os.path.dirname(__file__), ".devdb", "data"))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
