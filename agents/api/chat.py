"""`POST /api/v1/agents/{id}/chat/` — the hot path, written as an async Django view.

DRF views are sync and Django runs sync views on one shared thread under ASGI, so a
view that waited on an LLM there would stall every other request. This view does the
same authentication, scope and validation as the DRF views, then awaits (or streams)
the engine on the event loop. `ChatView` exists only to document it in OpenAPI.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from accounts.models import ApiKey
from accounts.services.api_keys import api_key_authenticate
from accounts.tenancy import tenant_scope
from agents.api.serializers import ChatInputSerializer, ChatReplySerializer, MessageSerializer
from agents.models import Agent, Channel, Conversation, Message
from agents.services.conversations import (
    AgentNotPublished,
    contact_get_or_create,
    conversation_open,
    conversation_reply_stream,
    message_mark_sent,
    message_receive,
)
from billing.services.wallet import wallet_has_funds
from myagent.api_errors import error_body
from myagent.errors import ApplicationError, NotFound, PaymentRequired, ValidationFailed
from myagent.lookups import get_or_404, parse_object_id
from myagent.sse import sse_event

MAX_BODY_BYTES = 64 * 1024


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)


def _authenticate(request: HttpRequest) -> ApiKey:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme != "Bearer" or not raw:
        raise ApplicationError("Use 'Authorization: Bearer <api key>'.", code="not_authenticated")
    api_key = api_key_authenticate(raw=raw.strip())
    if api_key is None:
        raise ApplicationError("Invalid or revoked API key.", code="authentication_failed")
    if api_key.organization.is_suspended:
        raise ApplicationError("This organization is suspended.", code="organization_suspended")
    if not api_key.allows(ApiKey.Scope.WRITE):
        raise ApplicationError("This API key is read-only; use a key with the write scope.", code="permission_denied")
    return api_key


_AUTH_STATUS = {"not_authenticated": 401, "authentication_failed": 401, "organization_suspended": 403,
                "permission_denied": 403}  # fmt: skip


def _prepare(api_key: ApiKey, agent_id: str, body: bytes) -> tuple[Conversation, Message]:
    organization = api_key.organization
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("The body is not valid JSON.", code="parse_error") from exc
    serializer = ChatInputSerializer(data=payload if isinstance(payload, dict) else {})
    if not serializer.is_valid():
        raise ValidationFailed("Some fields are invalid.", fields=serializer.errors)
    data = serializer.validated_data
    agent: Agent = get_or_404(organization.agents.all(), agent_id)
    if agent.published_version_id is None:
        raise AgentNotPublished()
    if not wallet_has_funds(organization=organization):
        raise PaymentRequired()
    if data.get("conversation_id"):
        # Only API conversations: a key must not post into a WhatsApp or widget thread.
        conversation = get_or_404(
            organization.conversations.filter(agent=agent, channel=Channel.API), data["conversation_id"]
        )
    else:
        contact = contact_get_or_create(
            organization=organization, channel=Channel.API, external_id=data.get("contact") or f"key:{api_key.prefix}"
        )
        conversation = conversation_open(
            organization=organization, agent=agent, channel=Channel.API, contact=contact, reuse=False
        )
    user_message = message_receive(organization=organization, conversation=conversation, text=data["message"])
    assert user_message is not None  # no external id, so never a duplicate
    return conversation, user_message


def _result(conversation: Conversation, reply: Message) -> dict[str, Any]:
    data = {
        "conversation_id": str(conversation.pk),
        "reply": MessageSerializer(reply).data,
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "cost": str(reply.cost),
            "model": reply.model_used,
        },
        "timings_ms": reply.timings_ms(),
    }
    return data


class ChatView(APIView):
    """OpenAPI description of the chat endpoint (served by `chat_view`)."""

    @extend_schema(
        request=ChatInputSerializer,
        responses={
            200: OpenApiResponse(
                ChatReplySerializer,
                description="The reply. With `Accept: text/event-stream` the reply streams as Server-Sent "
                "Events: `meta` (conversation_id), `token` ({text}) per token, then `done` (this object).",
            )
        },
        operation_id="agents_chat",
        tags=["agents"],
    )
    def post(self, request: Any, pk: str) -> Any:  # pragma: no cover - documentation only
        raise NotImplementedError


@csrf_exempt
async def chat_view(request: HttpRequest, pk: str) -> HttpResponseBase:
    if request.method != "POST":
        return JsonResponse(error_body("method_not_allowed", "Use POST."), status=405)
    try:
        declared_length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return JsonResponse(error_body("bad_request", "Invalid Content-Length header."), status=400)
    if declared_length > MAX_BODY_BYTES:
        return JsonResponse(error_body("payload_too_large", "The request body is too large."), status=413)
    try:
        api_key = await sync_to_async(_authenticate)(request)
    except ApplicationError as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=_AUTH_STATUS.get(exc.code, 401))
    organization = api_key.organization
    if parse_object_id(pk) is None:
        return _error(NotFound())
    with tenant_scope(organization):
        try:
            conversation, user_message = await sync_to_async(_prepare)(api_key, pk, request.body)
        except ApplicationError as exc:
            return _error(exc)
        stream = conversation_reply_stream(
            organization=organization, conversation=conversation, user_message=user_message
        )
        if "text/event-stream" in request.headers.get("Accept", ""):
            return StreamingHttpResponse(
                _sse(organization, conversation, stream),
                content_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        reply = None
        async for event in stream:
            if event.type == "done":
                reply = event.message
        assert reply is not None
        reply = await sync_to_async(message_mark_sent)(organization=organization, message=reply)
        return JsonResponse(_result(conversation, reply))


async def _sse(organization: Any, conversation: Conversation, stream: AsyncIterator[Any]) -> AsyncIterator[str]:
    with tenant_scope(organization):
        yield sse_event("meta", {"conversation_id": str(conversation.pk)})
        async for event in stream:
            if event.type == "token":
                yield sse_event("token", {"text": event.text})
            elif event.type == "done":
                reply = await sync_to_async(message_mark_sent)(organization=organization, message=event.message)
                yield sse_event("done", _result(conversation, reply))


chat_view.cls = ChatView  # type: ignore[attr-defined]  # lets drf-spectacular document the route
chat_view.initkwargs = {}  # type: ignore[attr-defined]
