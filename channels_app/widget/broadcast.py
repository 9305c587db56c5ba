"""Channel-layer groups of widget sockets, and the sends that reach them from any process.

Every widget socket joins its session's group and its key's group. The BackOffice and the
API (other processes than daphne in production) revoke a session or disable a key by
writing the database first and then sending `widget.close` to the group: the sockets close
with 4403 at once. The final reply of a turn goes to the session group too, so a socket
that reconnected while the agent was still answering receives it.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

CLOSE_REVOKED = 4403


def session_group(session_id: object) -> str:
    return f"widget.session.{session_id}"


def key_group(widget_key_id: object) -> str:
    return f"widget.key.{widget_key_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("Could not broadcast %s to %s", message.get("type"), group)


def broadcast_session_closed(*, session_id: object) -> None:
    _send(session_group(session_id), {"type": "widget.close", "code": CLOSE_REVOKED})


def broadcast_key_closed(*, widget_key_id: object) -> None:
    _send(key_group(widget_key_id), {"type": "widget.close", "code": CLOSE_REVOKED})


async def broadcast_reply(*, session_id: object, frame: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(session_group(session_id), {"type": "widget.reply", "frame": frame})
