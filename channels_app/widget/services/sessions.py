"""Widget sessions: the session call, the socket handshake, visitor messages and revocation.

`widget_session_start` answers `POST /widget/v1/session/`; `widget_socket_authenticate`
admits (or refuses, with a close code) a socket before its consumer runs; the consumer then
calls `widget_session_ready`, `widget_message_accept` and `widget_reply_delivered`, and the
BackOffice/API call `widget_session_revoke`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization, User
from agents.models import Agent, Channel, Conversation, Message
from agents.selectors import agent_published_version, conversation_history
from agents.services.conversations import contact_get_or_create, conversation_open, message_mark_sent, message_receive
from billing.services.wallet import wallet_has_funds
from channels_app.widget import config, protocol
from channels_app.widget.broadcast import broadcast_session_closed
from channels_app.widget.errors import (
    InvalidIdentity,
    KeyDisabled,
    OriginNotAllowed,
    SessionClosed,
    WidgetRateLimited,
    WidgetUnavailable,
)
from channels_app.widget.models import WidgetKey, WidgetSession
from channels_app.widget.origins import OriginError, origin_allowed, origin_normalize
from channels_app.widget.rate_limits import rate_limits_hit
from channels_app.widget.services.keys import widget_key_authenticate, widget_secret_get
from channels_app.widget.theme import theme_public
from channels_app.widget.tokens import (
    QUERY_PARAMETER,
    identity_verify,
    session_token_sign,
    session_token_verify,
    visitor_id_issue,
    visitor_id_verify,
)
from myagent.errors import NotFound, OrganizationSuspended
from myagent.lookups import parse_object_id

logger = logging.getLogger(__name__)

WS_PATH = "/ws/widget/"
MAX_USER_ID_CHARS = 190


@dataclass(frozen=True)
class SessionStart:
    session: WidgetSession
    token: str
    visitor_id: str
    agent: dict[str, str]
    theme: dict[str, str]

    def response(self) -> dict[str, Any]:
        """The body of the 201 answer, exactly as the widget reads it."""
        return {
            "token": self.token,
            "expires_in": config.token_ttl_seconds(),
            "ws_url": websocket_url(self.token),
            "visitor_id": self.visitor_id,
            "session_id": str(self.session.pk),
            "agent": self.agent,
            "theme": self.theme,
        }


def websocket_url(token: str) -> str:
    """`wss://` behind https (PUBLIC_BASE_URL), `ws://` behind http."""
    base = settings.PUBLIC_BASE_URL
    scheme = "wss" if base.startswith("https://") else "ws"
    return f"{scheme}://{urlsplit(base).netloc}{WS_PATH}?{urlencode({QUERY_PARAMETER: token})}"


def app_origin() -> str:
    """The app's own origin: the BackOffice preview runs there, so every key accepts it."""
    return origin_normalize(settings.PUBLIC_BASE_URL)


def _origin_ok(widget_key: WidgetKey, origin: str) -> bool:
    return origin_allowed(origin=origin, allowed=[*widget_key.allowed_origins, app_origin()])


# --- POST /widget/v1/session/ ------------------------------------------------------------


def widget_key_for_session(*, key: str, ip: str) -> WidgetKey:
    """The key a page presents, after the per-IP limit (checked first: it guards the lookup)."""
    if retry_after := rate_limits_hit([("session_ip", ip)]):
        raise WidgetRateLimited(retry_after=retry_after)
    widget_key = widget_key_authenticate(key=key)
    if widget_key is None:
        raise NotFound()
    return widget_key


def widget_session_start(
    *,
    organization: Organization,
    widget_key: WidgetKey,
    origin: str,
    visitor_id: str | None,
    user_id: str | None = None,
    user_hash: str | None = None,
    user_agent: str = "",
) -> SessionStart:
    """Open (or resume) the visitor's session on this key and sign a token for this page.

    Order of refusals: origin (a foreign site learns nothing else), disabled key, suspended
    organization, per-organization rate, identity, unpublished agent. A visitor id we did not
    issue is replaced by a new one; a verified `user_id` binds the session to `user:<id>`.
    """
    if widget_key.organization_id != organization.pk:
        raise NotFound()
    if not origin or not _origin_ok(widget_key, origin):
        raise OriginNotAllowed()
    origin = origin_normalize(origin)
    if not widget_key.enabled:
        raise KeyDisabled()
    if organization.is_suspended:
        raise OrganizationSuspended()
    if retry_after := rate_limits_hit([("session_org", str(organization.pk))]):
        raise WidgetRateLimited(retry_after=retry_after)
    if user_id is not None or user_hash is not None:
        secret = widget_secret_get(organization=organization).secret
        if not user_id or not identity_verify(secret=str(secret), user_id=user_id, user_hash=user_hash or ""):
            raise InvalidIdentity()
    agent = widget_key.agent
    version = agent_published_version(agent=agent)
    if version is None:
        raise WidgetUnavailable()

    key_id = str(widget_key.pk)
    anonymous_id = visitor_id_verify(widget_key_id=key_id, visitor_id=visitor_id)
    if anonymous_id is None:
        visitor_id, anonymous_id = visitor_id_issue(widget_key_id=key_id)
    assert visitor_id is not None
    visitor = f"user:{user_id}" if user_id else f"visitor:{anonymous_id}"
    session = _live_session(organization, widget_key, visitor, agent)
    if session is None:
        session = _new_session(organization, widget_key, agent, visitor, origin, anonymous_id, user_id, user_agent)
    elif session.origin != origin or session.visitor_id != anonymous_id:
        session.origin, session.visitor_id = origin, anonymous_id
        session.save(update_fields=["origin", "visitor_id"])
    token = session_token_sign(
        session_id=str(session.pk),
        organization_id=str(organization.pk),
        widget_key_id=key_id,
        agent_id=str(agent.pk),
        origin=origin,
        visitor=visitor,
    )
    snapshot = version.snapshot
    agent_info = {
        "name": str(snapshot.get("name") or agent.name),
        "greeting": str(snapshot.get("greeting") or ""),
        "language": str(snapshot.get("language") or "es"),
    }
    return SessionStart(session, token, visitor_id, agent_info, theme_public(widget_key.theme))


def _thread_key(widget_key: WidgetKey, visitor: str) -> str:
    return f"{widget_key.pk}:{hashlib.sha256(visitor.encode()).hexdigest()[:40]}"


def _live_session(organization: Organization, widget_key: WidgetKey, visitor: str, agent: Agent) -> Any:
    thread_key = _thread_key(widget_key, visitor)
    session = organization.widgetsessions.select_related("conversation").filter(thread_key=thread_key).first()
    if session is None:
        return None
    still_open = session.conversation is None or session.conversation.status == Conversation.Status.OPEN
    if session.agent_id == agent.pk and still_open:
        return session
    # The key now serves another agent, or the conversation was closed: start over.
    WidgetSession.objects.filter(pk=session.pk, thread_key=thread_key).update(thread_key=None)
    return None


def _new_session(
    organization: Organization,
    widget_key: WidgetKey,
    agent: Agent,
    visitor: str,
    origin: str,
    anonymous_id: str,
    user_id: str | None,
    user_agent: str,
) -> WidgetSession:
    thread_key = _thread_key(widget_key, visitor)
    try:
        return WidgetSession.unscoped.create(  # tenant-bypass: organization set explicitly
            organization=organization,
            widget_key=widget_key,
            agent=agent,
            visitor=visitor,
            thread_key=thread_key,
            visitor_id=anonymous_id,
            user_id=user_id or "",
            origin=origin,
            user_agent=user_agent[:300],
        )
    except IntegrityError:  # another tab of the same visitor won the race: share its session
        return organization.widgetsessions.get(thread_key=thread_key)


# --- WebSocket handshake -----------------------------------------------------------------


@dataclass(frozen=True)
class SocketAdmission:
    session: WidgetSession | None
    close_code: int | None = None
    origin: str = ""


def widget_socket_authenticate(*, token: str, origin: str, ip: str) -> SocketAdmission:
    """Admit a socket: valid unexpired token, the same page origin, a live session on an enabled
    key of an active organization, and room under the connection limits. Runs before any
    tenant scope exists: the signed token is what names the organization."""
    claims = session_token_verify(token)
    if claims is None:
        return SocketAdmission(None, protocol.CLOSE_TOKEN_INVALID)
    try:
        origin = origin_normalize(origin)
    except OriginError:
        return SocketAdmission(None, protocol.CLOSE_FORBIDDEN)
    if origin != claims.origin:
        return SocketAdmission(None, protocol.CLOSE_FORBIDDEN)
    session_id, organization_id = parse_object_id(claims.session_id), parse_object_id(claims.organization_id)
    session = (
        WidgetSession.unscoped.select_related(  # tenant-bypass: the signed token names the session and its organization
            "organization", "widget_key", "agent", "conversation"
        )
        .filter(pk=session_id, organization_id=organization_id)
        .first()
        if session_id and organization_id
        else None
    )
    if (
        session is None
        or str(session.widget_key_id) != claims.widget_key_id
        or str(session.agent_id) != claims.agent_id
        or session.visitor != claims.visitor
    ):
        return SocketAdmission(None, protocol.CLOSE_TOKEN_INVALID)
    if session.widget_key.agent_id != session.agent_id:
        return SocketAdmission(None, protocol.CLOSE_TOKEN_INVALID)  # the key moved to another agent
    if session.revoked_at is not None or not session.thread_key:
        return SocketAdmission(None, protocol.CLOSE_FORBIDDEN)
    if not session.widget_key.enabled or session.organization.is_suspended:
        return SocketAdmission(None, protocol.CLOSE_FORBIDDEN)
    if not _origin_ok(session.widget_key, origin):
        return SocketAdmission(None, protocol.CLOSE_FORBIDDEN)
    if rate_limits_hit([("connect_session", str(session.pk)), ("connect_ip", ip)]):
        return SocketAdmission(None, protocol.CLOSE_TOO_MANY)
    return SocketAdmission(session, None, origin)


def widget_session_ready(*, organization: Organization, session: WidgetSession) -> list[dict[str, Any]]:
    """The history for the `ready` frame; refuses a session revoked since the handshake.
    The first socket of a session marks it started (the visitor opened the chat)."""
    now = timezone.now()
    touched = WidgetSession.objects.filter(pk=session.pk, revoked_at=None).update(last_activity_at=now)
    if not touched:
        raise SessionClosed()
    if session.started_at is None:
        WidgetSession.objects.filter(pk=session.pk, started_at=None).update(started_at=now)
        session.started_at = now
    session.last_activity_at = now
    if session.conversation is None:
        return []
    history = conversation_history(conversation=session.conversation, limit=config.history_limit())
    return [protocol.message_payload(message) for message in history]


# --- messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedMessage:
    message: Message
    conversation: Conversation
    created: bool  # False: this client_id was stored before (a resend); nothing new to answer
    reply: bool  # False while a person has taken over the conversation


def _external_id(session: WidgetSession, client_id: str) -> str:
    # Message.external_id is unique platform-wide: namespace it by session, fixed length.
    return "wg_" + hashlib.sha256(f"{session.pk}:{client_id}".encode()).hexdigest()[:48]


def widget_message_accept(
    *, organization: Organization, session: WidgetSession, origin: str, text: str, client_id: str | None, ip: str
) -> AcceptedMessage:
    """Store a visitor message, after re-checking the session and the rate limits.

    Raises SessionClosed (revoked, key disabled or its origin removed, organization
    suspended: the socket must close), WidgetRateLimited (with retry_after) or
    WidgetUnavailable (agent unpublished, wallet empty); in those cases nothing is stored.
    Idempotent on `client_id` within the session.
    """
    fresh = (
        organization.widgetsessions.select_related("widget_key", "organization", "conversation", "agent")
        .filter(pk=session.pk)
        .first()
    )
    if (
        fresh is None
        or fresh.revoked_at is not None
        or not fresh.thread_key
        or not fresh.widget_key.enabled
        or fresh.organization.is_suspended
        or not _origin_ok(fresh.widget_key, origin)
    ):
        raise SessionClosed()
    retry_after = rate_limits_hit(
        [("message_session", str(session.pk)), ("message_ip", ip), ("message_org", str(organization.pk))]
    )
    if retry_after:
        raise WidgetRateLimited(retry_after=retry_after)
    if agent_published_version(agent=session.agent) is None or not wallet_has_funds(organization=organization):
        raise WidgetUnavailable()
    conversation = fresh.conversation or _conversation_for(organization, fresh)
    external_id = _external_id(session, client_id) if client_id else None
    now = timezone.now()
    message = message_receive(
        organization=organization,
        conversation=conversation,
        text=text,
        external_id=external_id,
        received_at=now,
        metadata={"widget_session": str(session.pk), **({"client_id": client_id} if client_id else {})},
    )
    if message is None:  # the same client_id again: acknowledge what was stored
        stored = organization.messages.get(external_id=external_id, conversation=conversation)
        return AcceptedMessage(stored, conversation, created=False, reply=False)
    WidgetSession.objects.filter(pk=session.pk).update(message_count=F("message_count") + 1, last_activity_at=now)
    return AcceptedMessage(message, conversation, created=True, reply=not conversation.bot_paused)


def _conversation_for(organization: Organization, session: WidgetSession) -> Conversation:
    """The session's first message creates its contact and conversation (once, under races)."""
    contact = contact_get_or_create(organization=organization, channel=Channel.WIDGET, external_id=session.visitor)
    conversation = conversation_open(
        organization=organization,
        agent=session.agent,
        channel=Channel.WIDGET,
        contact=contact,
        metadata={
            "widget_key": str(session.widget_key_id),
            "widget_session": str(session.pk),
            "origin": session.origin,
        },
        reuse=False,
    )
    claimed = WidgetSession.objects.filter(pk=session.pk, conversation=None).update(
        conversation=conversation, contact=contact
    )
    if claimed:
        return conversation
    conversation.delete()  # another socket of this session got there first
    winner = organization.widgetsessions.select_related("conversation").get(pk=session.pk).conversation
    assert winner is not None  # set by the socket that won, never unset
    return winner


def widget_reply_delivered(*, organization: Organization, session: WidgetSession, message: Message) -> Message:
    """The agent's reply is complete and goes out: timestamp it and count it on the session."""
    message = message_mark_sent(organization=organization, message=message)
    WidgetSession.objects.filter(pk=session.pk).update(
        message_count=F("message_count") + 1, last_activity_at=message.reply_sent_at
    )
    return message


# --- revocation --------------------------------------------------------------------------------


def widget_session_revoke(
    *, organization: Organization, session: WidgetSession, revoked_by: User | None = None
) -> WidgetSession:
    """End a session now: its sockets close (4403), its tokens are refused, its conversation
    is closed, and the visitor's next session starts a new conversation. Idempotent."""
    if session.organization_id != organization.pk:
        raise NotFound()
    if session.revoked_at is None:
        now = timezone.now()
        WidgetSession.objects.filter(pk=session.pk, revoked_at=None).update(
            revoked_at=now, revoked_by=revoked_by, thread_key=None
        )
        session.refresh_from_db()  # the conversation may have been created since `session` was read
        if session.conversation_id:
            Conversation.objects.filter(pk=session.conversation_id).update(status=Conversation.Status.CLOSED)
    # Also on a repeat: a socket that somehow survived the first broadcast is closed now.
    broadcast_session_closed(session_id=session.pk)
    logger.info("Widget session %s revoked", session.pk)
    return session
