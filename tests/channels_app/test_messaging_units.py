"""Pure rules of the messaging channel: splitting, keywords, masking, address parsing."""

from __future__ import annotations

import pytest

from channels_app.messaging.keywords import KeywordIntent, keyword_intent
from channels_app.messaging.splitting import body_limit, split_text
from channels_app.messaging.validators import mask
from channels_app.twilio.addresses import is_e164, split_channel_prefix


def test_short_text_is_one_part():
    assert split_text("  Hola, ¿qué tal?  ", limit=1600) == ["Hola, ¿qué tal?"]


def test_split_prefers_paragraphs_then_sentences_then_words():
    paragraphs = "A" * 50 + "\n\n" + "B" * 50
    assert split_text(paragraphs, limit=80) == ["A" * 50, "B" * 50]

    sentences = "Primera frase corta. Segunda frase algo más larga que la primera."
    assert split_text(sentences, limit=40) == [
        "Primera frase corta.",
        "Segunda frase algo más larga que la",
        "primera.",
    ]

    words = "palabra " * 20
    parts = split_text(words, limit=30)
    assert all(len(part) <= 30 and not part.startswith(" ") for part in parts)
    assert " ".join(parts) == words.strip()


def test_a_word_longer_than_the_limit_is_cut_hard():
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_body_limits_follow_twilio():
    assert body_limit("sms") == 1600
    assert body_limit("whatsapp") == 1600  # Twilio's Body cap is below WhatsApp's own 4096


@pytest.mark.parametrize(
    ("text", "kind", "intent"),
    [
        ("STOP", "whatsapp", KeywordIntent.OPT_OUT),
        ("stop", "sms", KeywordIntent.OPT_OUT),
        ("Baja", "whatsapp", KeywordIntent.OPT_OUT),
        (" BAJÁ! ", "sms", KeywordIntent.OPT_OUT),
        ("Unsubscribe.", "whatsapp", KeywordIntent.OPT_OUT),
        ("cancel", "sms", KeywordIntent.OPT_OUT),
        ("cancel", "whatsapp", None),
        ("Start", "whatsapp", KeywordIntent.OPT_IN),
        ("alta", "sms", KeywordIntent.OPT_IN),
        ("stop sending me offers", "whatsapp", None),
        ("hola", "sms", None),
    ],
)
def test_keywords(text, kind, intent):
    assert keyword_intent(text=text, kind=kind) == intent


def test_mask_never_shows_a_secret():
    assert mask("AC" + "1234567890abcdef" * 2) == "AC…cdef"
    assert mask("short") == "••••"
    assert mask("") == ""


def test_addresses():
    assert split_channel_prefix("whatsapp:+34600111222") == ("whatsapp", "+34600111222")
    assert split_channel_prefix("+34600111222") == ("", "+34600111222")
    assert is_e164("+34600111222")
    assert not is_e164("34600111222")
    assert not is_e164("+0123456789")
    assert not is_e164("+1234567")
