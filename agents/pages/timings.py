"""Per-reply numbers shown in the playground and the conversation detail: how long each
response-time stage took, tokens, cost and the model that answered."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from agents.model_catalog import DEMO_MODEL
from agents.models import Message

# Stages of `Message.timings_ms()`, in order; each is milliseconds since the message arrived.
STAGE_LABELS = {
    "processing_started": _("Queued"),
    "llm_request": _("Model called"),
    "first_token": _("First token"),
    "llm_done": _("Model done"),
    "reply_sent": _("Sent"),
}


def reply_stats(message: Message) -> dict[str, Any] | None:
    """JSON-ready numbers for an assistant reply (None for other roles)."""
    if message.role != Message.Role.ASSISTANT:
        return None
    timings = message.timings_ms()
    return {
        "timings": [
            {"stage": stage, "label": str(label), "ms": timings.get(stage)}
            for stage, label in STAGE_LABELS.items()
            if timings.get(stage) is not None
        ],
        "prompt_tokens": message.prompt_tokens,
        "completion_tokens": message.completion_tokens,
        "tokens_label": ngettext(
            "%(prompt)d in · %(completion)d out token",
            "%(prompt)d in · %(completion)d out tokens",
            message.completion_tokens,
        )
        % {"prompt": message.prompt_tokens, "completion": message.completion_tokens},
        "cost": f"{message.cost:.6f}",
        "cost_label": f"${message.cost:.6f}" if message.cost else gettext("No cost"),
        "model": message.model_used,
        "is_demo": message.model_used == DEMO_MODEL,
    }
