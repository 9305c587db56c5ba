from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from myagent.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the newest key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            # tenant-bypass: a platform maintenance command that walks every tenant's secrets
            for obj in model._default_manager.all().iterator():
                obj.save(update_fields=fields)  # loading decrypts with any key, saving uses the newest
                total += 1
            self.stdout.write(f"{model._meta.label}: re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} rows."))
