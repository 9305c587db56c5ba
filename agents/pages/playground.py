"""The playground: chat with an agent's *draft* before publishing it.

Each user has their own playground conversation per agent (channel "playground",
contact `user:<id>`). The page is a normal BackOffice page; replies stream from
`playground_stream_view`, an async view for the same reason as the chat API
(`agents/api/chat.py`): waiting on an LLM must not hold Django's shared sync thread.
It authenticates with the session and resolves the membership itself, because the
sync page base (`OrganizationPageMixin`) cannot wrap an async view.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.pages.base import PageRequest
from accounts.tenancy import tenant_scope
from agents.models import Agent, Channel, Conversation, Message
from agents.pages.agents import AgentPage
from agents.pages.forms import MAX_PLAYGROUND_MESSAGE_CHARS, PlaygroundMessageForm
from agents.pages.timings import STAGE_LABELS, reply_stats
from agents.services.conversations import (
    ReplyEvent,
    contact_get_or_create,
    conversation_open,
    conversation_reply_stream,
    message_mark_sent,
    message_receive,
)
from agents.tools import get_tool
from myagent.api_errors import error_body
from myagent.errors import ApplicationError, Forbidden, OrganizationSuspended, ValidationFailed
from myagent.lookups import get_or_404
from myagent.sse import sse_event


def playground_contact_id(user: User) -> str:
    return f"user:{user.pk}"


def playground_conversation(*, organization: Organization, agent: Agent, user: User) -> Conversation | None:
    """The user's current playground conversation with `agent` (the newest open one)."""
    contact = organization.contacts.filter(channel=Channel.PLAYGROUND, external_id=playground_contact_id(user)).first()
    if contact is None:
        return None
    return (
        organization.conversations.filter(
            agent=agent, channel=Channel.PLAYGROUND, contact=contact, status=Conversation.Status.OPEN
        )
        .order_by("-started_at")
        .first()
    )


class AgentPlaygroundPage(AgentPage):
    def get(self, request: PageRequest, agent_id: str) -> HttpResponse:
        agent = self.get_agent(agent_id)
        conversation = playground_conversation(organization=self.organization, agent=agent, user=request.user)
        transcript = []
        if conversation is not None:
            replies = conversation.messages.filter(role__in=[Message.Role.USER, Message.Role.ASSISTANT])
            transcript = [
                {"message": message, "stats": reply_stats(message)}
                for message in replies.exclude(content="").order_by("created_at", "pk")
            ]
        context = self.agent_context(
            agent,
            conversation=conversation,
            transcript=transcript,
            stage_labels={stage: str(label) for stage, label in STAGE_LABELS.items()},
            max_message_chars=MAX_PLAYGROUND_MESSAGE_CHARS,
            tool_labels=[str(tool.label) for name in agent.tools if (tool := get_tool(name))],
        )
        return TemplateResponse(request, "agents/agent_playground.html", context)


# --- streaming ----------------------------------------------------------------------------


def _organization(request: HttpRequest) -> Organization:
    """The active organization, with the same rules as `OrganizationPageMixin` (any role)."""
    membership = request.membership  # type: ignore[attr-defined]  # lazy: evaluated here, off the event loop
    if not membership:
        raise Forbidden(_("Create or join an organization first."))
    organization: Organization = membership.organization  # select_related by the middleware
    if organization.is_suspended:
        raise OrganizationSuspended()
    return organization


def _prepare(organization: Organization, user: User, agent_id: str, data: QueryDict) -> tuple[Conversation, Message]:
    form = PlaygroundMessageForm(data)
    if not form.is_valid():
        raise ValidationFailed(_("Write a message first."), fields=form.errors.get_json_data())
    agent: Agent = get_or_404(organization.agents.all(), agent_id)
    contact = contact_get_or_create(
        organization=organization,
        channel=Channel.PLAYGROUND,
        external_id=playground_contact_id(user),
        display_name=user.get_full_name(),
    )
    if form.cleaned_data["conversation"] and not form.cleaned_data["fresh"]:
        conversation = get_or_404(
            organization.conversations.filter(agent=agent, channel=Channel.PLAYGROUND, contact=contact),
            form.cleaned_data["conversation"],
        )
    else:
        conversation = conversation_open(
            organization=organization,
            agent=agent,
            channel=Channel.PLAYGROUND,
            contact=contact,
            reuse=not form.cleaned_data["fresh"],
        )
    user_message = message_receive(
        organization=organization, conversation=conversation, text=form.cleaned_data["message"]
    )
    assert user_message is not None  # no external id, so never a duplicate
    return conversation, user_message


def _error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)


async def playground_stream_view(request: HttpRequest, agent_id: str) -> HttpResponseBase:
    """POST a message (form-encoded, CSRF header); the reply streams back as Server-Sent
    Events: `meta` (conversation_id, user message id), `token` ({text}) per token, then
    `done` (reply, usage, timings in ms)."""
    if request.method != "POST":
        return JsonResponse(error_body("method_not_allowed", _("Use POST.")), status=405)
    user = await request.auser()
    if not isinstance(user, User):
        return JsonResponse(error_body("not_authenticated", _("Sign in again to continue.")), status=401)
    try:
        organization = await sync_to_async(_organization)(request)
    except ApplicationError as exc:
        return _error(exc)
    with tenant_scope(organization):
        try:
            conversation, user_message = await sync_to_async(_prepare)(organization, user, agent_id, request.POST)
        except ApplicationError as exc:
            return _error(exc)
        stream = conversation_reply_stream(
            organization=organization, conversation=conversation, user_message=user_message, use_draft=True
        )
        return StreamingHttpResponse(
            _sse(organization, conversation, user_message, stream),
            content_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


async def _sse(
    organization: Organization, conversation: Conversation, user_message: Message, stream: AsyncIterator[ReplyEvent]
) -> AsyncIterator[str]:
    # The response body is iterated outside the view's context: enter the scope again.
    with tenant_scope(organization):
        yield sse_event("meta", {"conversation_id": str(conversation.pk), "message_id": str(user_message.pk)})
        async for event in stream:
            if event.type == "token":
                yield sse_event("token", {"text": event.text})
            elif event.type == "done" and event.message is not None:
                reply = await sync_to_async(message_mark_sent)(organization=organization, message=event.message)
                yield sse_event("done", _done_payload(conversation, reply))


def _done_payload(conversation: Conversation, reply: Message) -> dict[str, Any]:
    return {
        "conversation_id": str(conversation.pk),
        "reply": {"id": str(reply.pk), "content": reply.content, "error": reply.error},
        "stats": reply_stats(reply),
    }
