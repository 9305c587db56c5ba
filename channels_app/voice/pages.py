"""BackOffice pages for phone calls: the list, and one call with its per-turn latency."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.pages.base import OrganizationPage
from agents.models import Message
from channels_app.voice.models import Call
from channels_app.voice.selectors import call_get, call_list, call_turns

PAGE_SIZE = 25


def _turn_row(message: Message) -> dict[str, Any]:
    timings = message.timings_ms() if message.role == Message.Role.ASSISTANT else {}
    voice_ms = message.metadata.get("voice_ms") or {}
    return {
        "message": message,
        "llm_request_ms": timings.get("llm_request"),
        "first_token_ms": timings.get("first_token"),
        "first_frame_ms": voice_ms.get("first_text_frame"),
        "last_token_ms": timings.get("llm_done"),
        "interrupted": bool(message.metadata.get("interrupted")),
        "greeting": bool(message.metadata.get("greeting")),
    }


class CallListPage(OrganizationPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        outcome = request.GET.get("outcome", "")
        filters = {"outcome": outcome} if outcome in Call.Outcome.values else {}
        page = Paginator(call_list(organization=self.organization, filters=filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {"page": page, "outcomes": Call.Outcome.choices, "outcome": filters.get("outcome", "")}
        return TemplateResponse(request, "voice/call_list.html", context)


class CallDetailPage(OrganizationPage):
    def get(self, request: HttpRequest, call_id: str) -> HttpResponse:
        call = call_get(organization=self.organization, call_id=call_id)
        turns = [_turn_row(message) for message in call_turns(call=call)]
        return TemplateResponse(request, "voice/call_detail.html", {"call": call, "turns": turns})
