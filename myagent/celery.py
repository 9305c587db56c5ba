import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myagent.settings.local")

app = Celery("myagent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect  # solo pool (the worker process itself)
@worker_process_init.connect  # prefork children
def _warm_up_llm(**_kwargs: object) -> None:
    from integrations.clients.llm import warm_up

    warm_up()
