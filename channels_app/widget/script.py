"""The `<myagent-chat>` script as the app serves it: bytes, integrity hash, versioned name.

The file is `channels_app/static/widget/myagent-chat.js`. Its SHA-384 gives both the
Subresource-Integrity value shown in the snippet and the version in the immutable URL
(`myagent-chat.<version>.js`), so a page pinned to a version never runs other bytes.
Read once per file change (mtime), gzipped once.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

STATIC_PATH = "widget/myagent-chat.js"
VERSION_CHARS = 12


@dataclass(frozen=True)
class WidgetScript:
    content: bytes
    gzipped: bytes
    integrity: str  # "sha384-<base64>"
    version: str  # hex prefix of the same digest

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _path() -> Path:
    found = finders.find(STATIC_PATH)
    if not found:
        raise FileNotFoundError(STATIC_PATH)
    return Path(found if isinstance(found, str) else found[0])


@lru_cache(maxsize=2)
def _load(path: str, mtime_ns: int) -> WidgetScript:
    content = Path(path).read_bytes()
    digest = hashlib.sha384(content).digest()
    return WidgetScript(
        content=content,
        gzipped=gzip.compress(content, compresslevel=9, mtime=0),
        integrity="sha384-" + base64.b64encode(digest).decode(),
        version=digest.hex()[:VERSION_CHARS],
    )


def widget_script() -> WidgetScript:
    path = _path()
    return _load(str(path), path.stat().st_mtime_ns)


def widget_script_url(*, versioned: bool = True) -> str:
    """Absolute URL of the script on PUBLIC_BASE_URL (what embedding sites load)."""
    if versioned:
        path = reverse("widget:script_versioned", kwargs={"version": widget_script().version})
    else:
        path = reverse("widget:script")
    return settings.PUBLIC_BASE_URL + path
