import os

if "MONGODB_URI" not in os.environ:
    # Each test process gets its own in-memory SecantusDB; daphne/Celery subprocesses
    # started by the tests inherit MONGODB_URI and share it.
    from myagent.devdb.launcher import start_server

    os.environ["MONGODB_URI"] = start_server(memory=True).uri

from .base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
