"""Dev/test database launcher (SecantusDB). Never used in production.

``start_server`` / ``ensure_server`` run SecantusDB (GPL-2.0, a dev/test
dependency only) in a child process; importing this package does not import it.
"""

from myagent.devdb.launcher import DevServer, DevServerError, ensure_server, start_server

__all__ = ["DevServer", "DevServerError", "ensure_server", "start_server"]
