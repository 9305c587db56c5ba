"""Celery autodiscovery imports `<app>.tasks` of installed apps; messaging lives in a
sub-package, so its tasks are registered from here."""

from channels_app.messaging.tasks import deliver_reply, process_inbound_message

__all__ = ["deliver_reply", "process_inbound_message"]
