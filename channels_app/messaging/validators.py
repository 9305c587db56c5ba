"""Field formats shared by the API serializers and the BackOffice forms."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from channels_app.twilio.addresses import E164

validate_e164 = RegexValidator(
    E164, _("Enter the number in international E.164 format: + and 8 to 15 digits, e.g. +34600111222.")
)
validate_account_sid = RegexValidator(r"^AC[0-9a-fA-F]{32}$", _("An account SID is AC followed by 32 hex digits."))
validate_api_key_sid = RegexValidator(r"^SK[0-9a-fA-F]{32}$", _("An API key SID is SK followed by 32 hex digits."))
validate_messaging_service_sid = RegexValidator(
    r"^MG[0-9a-fA-F]{32}$", _("A Messaging Service SID is MG followed by 32 hex digits.")
)
validate_content_sid = RegexValidator(
    r"^HX[0-9a-fA-F]{32}$", _("A template ContentSid is HX followed by 32 hex digits.")
)


def mask(value: str, *, keep: int = 4) -> str:
    """Enough of an identifier or secret to recognise it, never enough to use it."""
    value = str(value or "")
    if not value:
        return ""
    return f"{value[:2]}…{value[-keep:]}" if len(value) > 2 * keep + 2 else "••••"
