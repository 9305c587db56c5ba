"""Opt-out / opt-in keywords. A keyword is the whole message, in any case, with or without
accents and trailing punctuation ("Baja", "stop!", "BAJÁ")."""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from channels_app.models import ChannelConnection


class KeywordIntent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "BAJA"})
# Twilio and US carriers also treat these as opt-out on SMS; on WhatsApp they are ordinary
# words ("cancel" a booking), so they only count on SMS.
SMS_OPT_OUT = frozenset({"CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "UNSTOP", "ALTA"})


def normalize_keyword(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return letters.strip(" .!¡?¿").upper()


def keyword_intent(*, text: str, kind: str) -> KeywordIntent | None:
    word = normalize_keyword(text)
    if word in OPT_OUT or (kind == ChannelConnection.Kind.SMS and word in SMS_OPT_OUT):
        return KeywordIntent.OPT_OUT
    if word in OPT_IN:
        return KeywordIntent.OPT_IN
    return None
