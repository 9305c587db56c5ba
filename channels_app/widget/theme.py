"""The theme a widget key stores and the session call returns (`theme` in the response).

Every key is optional; the widget falls back to its built-in look (and attributes and CSS
custom properties on the page override all of it). Values are validated here so nothing
the widget would have to distrust is ever stored.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

THEME_KEYS = ("primary_color", "position", "title", "avatar_url", "launcher_text")
POSITIONS = ("right", "left")
HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MAX_LENGTHS = {"title": 60, "launcher_text": 40, "avatar_url": 500}


def theme_validate(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(clean theme, errors by key). Unknown keys are errors; empty values are dropped."""
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        return {}, {"theme": [_("The theme must be an object.")]}
    for key, raw in data.items():
        if key not in THEME_KEYS:
            errors[key] = [_("Unknown theme setting.")]
            continue
        if raw is None:
            continue
        if not isinstance(raw, str):
            errors[key] = [_("Must be text.")]
            continue
        value = raw.strip()
        if not value:
            continue
        if key in MAX_LENGTHS and len(value) > MAX_LENGTHS[key]:
            errors[key] = [_("At most %(max)d characters.") % {"max": MAX_LENGTHS[key]}]
        elif key == "primary_color" and not HEX_COLOR.match(value):
            errors[key] = [_("Use a hex colour such as #0f766e.")]
        elif key == "position" and value not in POSITIONS:
            errors[key] = [_("Choose right or left.")]
        elif key == "avatar_url" and (urlsplit(value).scheme not in ("https", "http") or not urlsplit(value).netloc):
            errors[key] = [_("Use an http(s) image URL.")]
        else:
            clean[key] = value.lower() if key == "primary_color" else value
    return clean, errors


def theme_public(theme: dict[str, Any]) -> dict[str, str]:
    """The `theme` object of the session response: every key present, empty when unset."""
    return {key: str(theme.get(key) or "") for key in THEME_KEYS}
