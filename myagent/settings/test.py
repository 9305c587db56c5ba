import os

if "MONGODB_URI" not in os.environ:
    # Each test process gets its own in-memory SecantusDB; daphne/Celery subprocesses
    # started by the tests inherit MONGODB_URI and share it.
    from myagent.devdb.launcher import start_server

    os.environ["MONGODB_URI"] = start_server(memory=True).uri

from .base import *  # noqa: F403
from .base import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Each test run consumes its own queue, so concurrent runs on one Redis never share work.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default=f"test-{os.getpid()}")
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = CELERY_TASK_DEFAULT_QUEUE

# Serve static files straight from the apps (no collectstatic in development/tests).
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
