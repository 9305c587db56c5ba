"""The socket protocol of `<myagent-chat>`: close codes and frame shapes (examples/README.md).

Server → client: `ready`, `typing`, `token`, `message`, `ack`, `error`, `pong`.
Client → server: `message` {text, client_id}, `ping`.
"""

from __future__ import annotations

from typing import Any

from agents.models import Message

CLOSE_TOKEN_INVALID = 4401  # invalid or expired token: the widget fetches a new session
CLOSE_FORBIDDEN = 4403  # revoked, key disabled, organization suspended, origin refused: ends the chat
CLOSE_TOO_MANY = 4429  # too many connections: the widget backs off

MAX_CLIENT_ID_CHARS = 64


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.pk),
        "role": message.role,
        "content": message.content,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


def error_frame(
    code: str, message: str, *, retry_after: int | None = None, client_id: str | None = None
) -> dict[str, Any]:
    """`client_id` names the refused message (an addition to the contract; the widget may ignore it)."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if retry_after is not None:
        frame["retry_after"] = retry_after
    if client_id:
        frame["client_id"] = client_id
    return frame
