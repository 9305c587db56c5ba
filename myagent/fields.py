from __future__ import annotations

from typing import Any

from django.db import models

from myagent import crypto


class Secret(str):
    """A decrypted secret whose repr never shows the value (logs, tracebacks, shells)."""

    def __repr__(self) -> str:
        return "Secret('****')"


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees a `Secret` string."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret | None:
        if value is None or value == "":
            return Secret("") if value == "" else None
        return Secret(crypto.decrypt(value))

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        value = str(value)
        return crypto.encrypt(value) if value else ""

    def to_python(self, value: Any) -> Any:
        return value
