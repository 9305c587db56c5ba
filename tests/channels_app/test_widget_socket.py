"""The widget socket against a real daphne: streaming, history, isolation between sessions,
limits, origin and token checks, and revocation from another process (this one) through
the Redis channel layer."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import signing

from accounts.models import Organization
from agents.models import Conversation, Message
from billing.models import Wallet
from channels_app.widget import config
from channels_app.widget.models import WidgetSession
from channels_app.widget.tokens import SESSION_SALT, session_token_sign, session_token_verify
from tests.agents.factories import fake_llm_agent
from tests.channels_app.widget_factories import (
    Socket,
    open_socket,
    post_session,
    reset_ip_rate_limits,
    user_hash_for,
    widget_key,
)

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

REPLY = "Abrimos de 8 a 20 h, todos los días. ¿Quieres reservar mesa?"


@pytest.fixture(autouse=True)
def fresh_ip_windows():
    reset_ip_rate_limits()


@pytest.fixture
def key(tenant, fake_openai):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url, name="Café Sol")
    return widget_key(tenant.organization, agent=agent)


def session_for(daphne_server, key, **body):
    response = post_session(daphne_server.url, {"key": key.key, "visitor_id": None, **body})
    assert response.status_code == 201, response.text
    return response.json()


def run(scenario):
    return asyncio.run(scenario)


def vars_of(claims):
    return {"s": claims.session_id, "o": claims.organization_id, "k": claims.widget_key_id,
            "a": claims.agent_id, "origin": claims.origin, "v": claims.visitor}  # fmt: skip


async def chat(socket: Socket, text: str, client_id: str):
    """Send one message; (ack, token frames, final message frame, every frame seen).
    Also reads the `typing` off that follows the reply, so the next turn starts clean."""
    await socket.send({"type": "message", "text": text, "client_id": client_id})
    final, seen = await socket.until("message")
    typing_off = await socket.frame()
    assert typing_off == {"type": "typing", "state": False}
    ack = next(frame for frame in seen if frame["type"] == "ack")
    tokens = [frame for frame in seen if frame["type"] == "token"]
    return ack, tokens, final, seen


def test_the_reply_streams_token_by_token_and_is_stored(daphne_server, key, fake_openai):
    session = session_for(daphne_server, key)

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            ready = await socket.frame()
            # A first turn warms daphne's LLM client (litellm's first call in a process is slow).
            await chat(socket, "Hola", "c-0")
            fake_openai.queue(REPLY, token_delay=0.05)
            sent_at = time.monotonic()
            await socket.send({"type": "message", "text": "¿A qué hora abren?", "client_id": "c-1"})
            arrivals = []
            frames = []
            while True:
                frame = await socket.frame()
                frames.append(frame)
                if frame["type"] == "token":
                    arrivals.append(time.monotonic() - sent_at)
                if frame["type"] == "message":
                    return ready, frames, arrivals

    ready, frames, arrivals = run(scenario())

    assert ready["type"] == "ready"
    assert ready["history"] == []
    assert ready["session_id"] == session["session_id"]
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "ack"
    assert kinds[1] == "typing"
    assert kinds[-1] == "message"
    ack = frames[0]
    assert ack["client_id"] == "c-1"
    assert ack["message"]["content"] == "¿A qué hora abren?"
    tokens = [frame for frame in frames if frame["type"] == "token"]
    assert len(tokens) >= 5
    assert all(frame["reply_to"] == "c-1" for frame in tokens)
    assert "".join(frame["text"] for frame in tokens) == REPLY
    # Streamed, not buffered: tokens arrive spread out like the fake LLM sends them (50 ms apart).
    assert arrivals[-1] - arrivals[0] >= 0.05 * (len(tokens) - 1) * 0.8
    final = frames[-1]
    assert final["reply_to"] == "c-1"
    assert final["message"]["role"] == "assistant"
    assert final["message"]["content"] == REPLY
    stored = Message.unscoped.get(pk=final["message"]["id"])
    assert stored.reply_sent_at is not None
    assert stored.first_token_at is not None
    widget_session = WidgetSession.unscoped.get(pk=session["session_id"])
    assert widget_session.message_count == 4
    print(
        f"\nwidget stream: first token frame {arrivals[0] * 1000:.0f} ms after send "
        f"(server: received→first LLM token {stored.timings_ms()['first_token']} ms), "
        f"{len(tokens)} tokens over {(arrivals[-1] - arrivals[0]) * 1000:.0f} ms"
    )


def test_history_is_restored_on_reconnect_and_by_the_next_page_view(daphne_server, key, fake_openai):
    fake_openai.queue("Sí, tenemos terraza.")
    first = session_for(daphne_server, key)

    async def scenario():
        async with open_socket(first["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            await chat(socket, "¿Tienen terraza?", "c-1")
        async with open_socket(first["ws_url"]) as connection:  # same token, reconnect
            reconnected = await Socket(connection).frame()
        next_page = session_for(daphne_server, key, visitor_id=first["visitor_id"])
        async with open_socket(next_page["ws_url"]) as connection:
            after_reload = await Socket(connection).frame()
        return reconnected, next_page, after_reload

    reconnected, next_page, after_reload = run(scenario())

    expected = [("user", "¿Tienen terraza?"), ("assistant", "Sí, tenemos terraza.")]
    assert [(m["role"], m["content"]) for m in reconnected["history"]] == expected
    assert next_page["session_id"] == first["session_id"]
    assert after_reload["conversation_id"] == reconnected["conversation_id"]
    assert [(m["role"], m["content"]) for m in after_reload["history"]] == expected
    assert all(m["id"] and m["created_at"] for m in after_reload["history"])


def test_another_visitor_never_sees_this_conversation(daphne_server, key, fake_openai):
    fake_openai.queue("Tu pedido 1234 sale hoy.")
    fake_openai.queue("Hola, ¿en qué te ayudo?")
    alice = session_for(daphne_server, key)
    bob = session_for(daphne_server, key)
    claims = session_token_verify(alice["token"])
    # Bob's own claims pointed at Alice's session: without our SECRET_KEY the signature fails.
    tampered = signing.TimestampSigner(key="not-the-server-key", salt=SESSION_SALT).sign_object(
        {**vars_of(session_token_verify(bob["token"])), "s": claims.session_id}, compress=True
    )

    async def scenario():
        async with open_socket(alice["ws_url"]) as a, open_socket(bob["ws_url"]) as b:
            alice_socket, bob_socket = Socket(a), Socket(b)
            alice_ready = await alice_socket.frame()
            bob_ready = await bob_socket.frame()
            _ack, _tokens, alice_final, _seen = await chat(alice_socket, "Soy Alicia, pedido 1234", "a-1")
            _ack, _bob_tokens, _bob_final, bob_seen = await chat(bob_socket, "Hola", "b-1")
            leaked = []
            try:
                while True:
                    leaked.append(await bob_socket.frame(timeout=0.5))
            except TimeoutError:
                pass
        async with open_socket(bob["ws_url"]) as b:
            bob_again = await Socket(b).frame()
        async with open_socket(daphne_server.ws_url + "/ws/widget/?token=" + tampered) as t:
            tampered_code = await Socket(t).close_code()
        return alice_ready, bob_ready, alice_final, bob_seen + leaked, bob_again, tampered_code

    alice_ready, bob_ready, alice_final, bob_frames, bob_again, tampered_code = run(scenario())

    alice_conversation = WidgetSession.unscoped.get(pk=alice["session_id"]).conversation_id
    bob_conversation = WidgetSession.unscoped.get(pk=bob["session_id"]).conversation_id
    assert alice_conversation != bob_conversation
    assert bob_again["conversation_id"] == str(bob_conversation)
    assert alice_ready["history"] == []
    assert bob_ready["history"] == []
    assert alice_final["message"]["content"] == "Tu pedido 1234 sale hoy."
    everything_bob_saw = repr(bob_frames) + repr(bob_again)
    assert "1234" not in everything_bob_saw
    assert "Alicia" not in everything_bob_saw
    assert [m["content"] for m in bob_again["history"]] == ["Hola", "Hola, ¿en qué te ayudo?"]
    assert tampered_code == 4401


def test_too_many_messages_get_a_rate_limited_frame_and_are_not_stored(daphne_server, key, fake_openai):
    limit = config.rate_limit("message_session").limit  # daphne runs with the defaults
    session = session_for(daphne_server, key)

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            for n in range(limit + 1):
                await socket.send({"type": "message", "text": f"mensaje {n}", "client_id": f"m-{n}"})
            error, seen = await socket.until("error", timeout=30)
            return error, seen

    error, seen = run(scenario())

    assert error["code"] == "rate_limited"
    assert error["client_id"] == f"m-{limit}"  # the refused message, so the widget can mark it
    assert 1 <= error["retry_after"] <= 60
    acked = {frame["client_id"] for frame in seen if frame["type"] == "ack"}
    assert f"m-{limit}" not in acked
    widget_session = WidgetSession.unscoped.get(pk=session["session_id"])
    texts = set(
        Message.unscoped.filter(conversation_id=widget_session.conversation_id, role="user").values_list(
            "content", flat=True
        )
    )
    assert f"mensaje {limit}" not in texts
    assert "mensaje 0" in texts


def test_a_message_over_the_limit_is_refused_and_the_socket_stays_usable(daphne_server, key):
    session = session_for(daphne_server, key)

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            await socket.send({"type": "message", "text": "x" * (config.MAX_MESSAGE_CHARS + 1), "client_id": "big"})
            too_long = await socket.frame()
            await socket.send({"type": "message", "text": "x" * 200_000, "client_id": "huge"})
            huge = await socket.frame()
            await socket.send({"type": "nonsense"})
            bad = await socket.frame()
            await socket.send({"type": "ping"})
            pong = await socket.frame()
            return too_long, huge, bad, pong

    too_long, huge, bad, pong = run(scenario())

    assert (too_long["type"], too_long["code"], too_long["client_id"]) == ("error", "message_too_long", "big")
    assert (huge["type"], huge["code"]) == ("error", "message_too_long")
    assert (bad["type"], bad["code"]) == ("error", "bad_request")
    assert pong == {"type": "pong"}
    widget_session = WidgetSession.unscoped.get(pk=session["session_id"])
    assert widget_session.conversation_id is None  # nothing was stored, not even a conversation
    assert widget_session.message_count == 0


def test_malformed_frames_get_bad_request_and_the_socket_stays_usable(daphne_server, key):
    session = session_for(daphne_server, key)
    frames = [
        "[" * 20_000,  # nesting deeper than the JSON parser's recursion limit
        '{"type": "message", "text": "Hola \\ud800", "client_id": "lone-surrogate"}',
        '{"type": "message", "text": "Hola", "client_id": "\\udfff"}',
    ]

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            answers = []
            for raw in frames:
                await connection.send(raw)
                answers.append(await socket.frame())
            await socket.send({"type": "ping"})
            return answers, await socket.frame()

    answers, pong = run(scenario())

    assert [(frame["type"], frame["code"]) for frame in answers] == [("error", "bad_request")] * len(frames)
    assert pong == {"type": "pong"}
    widget_session = WidgetSession.unscoped.get(pk=session["session_id"])
    assert widget_session.conversation_id is None
    assert widget_session.message_count == 0


def test_an_idle_socket_stays_open(daphne_server, key):
    """Visitors read and think; the socket must outlive quiet minutes (the widget pings every 25 s)."""
    session = session_for(daphne_server, key)

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            await asyncio.sleep(7)
            await socket.send({"type": "ping"})
            return await socket.frame()

    assert run(scenario()) == {"type": "pong"}


def test_the_socket_checks_the_origin_again(daphne_server, key):
    session = session_for(daphne_server, key)

    async def scenario():
        codes = []
        for origin in ("https://evil.example.net", "http://shop.example.com"):
            async with open_socket(session["ws_url"], origin=origin) as connection:
                codes.append(await Socket(connection).close_code())
        return codes

    assert run(scenario()) == [4403, 4403]


def test_expired_and_garbage_tokens_are_4401(daphne_server, key):
    session = session_for(daphne_server, key)
    claims = session_token_verify(session["token"])
    expired = session_token_sign(
        session_id=claims.session_id,
        organization_id=claims.organization_id,
        widget_key_id=claims.widget_key_id,
        agent_id=claims.agent_id,
        origin=claims.origin,
        visitor=claims.visitor,
        issued_at=time.time() - config.token_ttl_seconds() - 5,
    )
    base = daphne_server.ws_url + "/ws/widget/?token="

    async def scenario():
        codes = []
        for token in (expired, "garbage", ""):
            async with open_socket(base + token) as connection:
                codes.append(await Socket(connection).close_code())
        return codes

    assert run(scenario()) == [4401, 4401, 4401]


def test_revoking_closes_the_live_socket_at_once_and_its_token_is_refused(daphne_server, key, tenant):
    if not settings.REDIS_URL:
        pytest.skip("revocation reaches daphne through the Redis channel layer")
    session = session_for(daphne_server, key)

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            revoked_at = time.monotonic()
            response = await asyncio.to_thread(
                tenant.client.post, f"/api/v1/widget-sessions/{session['session_id']}/revoke/"
            )
            code = await socket.close_code(timeout=5)
            closed_after = time.monotonic() - revoked_at
        async with open_socket(session["ws_url"]) as connection:
            again = await Socket(connection).close_code()
        return response.status_code, code, closed_after, again

    status, code, closed_after, again = run(scenario())

    assert status == 200
    assert code == 4403
    assert closed_after < 3
    assert again == 4403
    assert session_for(daphne_server, key, visitor_id=session["visitor_id"])["session_id"] != session["session_id"]
    print(f"\nwidget revoke: socket closed {closed_after * 1000:.0f} ms after the API call")


def test_disabling_the_key_closes_its_sockets(daphne_server, key, tenant):
    if not settings.REDIS_URL:
        pytest.skip("the broadcast reaches daphne through the Redis channel layer")
    session = session_for(daphne_server, key)

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            await asyncio.to_thread(
                tenant.client.patch, f"/api/v1/widget-keys/{key.pk}/", {"enabled": False}, format="json"
            )
            return await socket.close_code(timeout=5)

    assert run(scenario()) == 4403


def test_a_verified_user_finds_their_conversation_on_another_device(daphne_server, key, tenant, fake_openai):
    fake_openai.queue("Tu reserva es el viernes a las 21 h.")
    identity = {"user_id": "socio-77", "user_hash": user_hash_for(tenant.organization, "socio-77")}
    laptop = session_for(daphne_server, key, **identity)

    async def scenario():
        async with open_socket(laptop["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            await chat(socket, "¿Cuándo es mi reserva?", "l-1")
        phone = session_for(daphne_server, key, **identity)  # another browser: no visitor id
        async with open_socket(phone["ws_url"]) as connection:
            return phone, await Socket(connection).frame()

    phone, ready = run(scenario())

    assert phone["visitor_id"] != laptop["visitor_id"]
    assert [m["content"] for m in ready["history"]] == [
        "¿Cuándo es mi reserva?",
        "Tu reserva es el viernes a las 21 h.",
    ]


def test_a_paused_bot_stays_quiet_an_empty_wallet_refuses_and_a_suspension_ends_the_chat(
    daphne_server, key, tenant, fake_openai
):
    session = session_for(daphne_server, key)
    organization = tenant.organization

    def conversation_of_session():
        conversation_id = WidgetSession.unscoped.get(pk=session["session_id"]).conversation_id
        return Conversation.unscoped.filter(pk=conversation_id)

    async def scenario():
        async with open_socket(session["ws_url"]) as connection:
            socket = Socket(connection)
            await socket.frame()
            await chat(socket, "Hola", "h-1")
            # A person took over the conversation: the message is stored, the agent does not answer.
            await asyncio.to_thread(lambda: conversation_of_session().update(bot_paused=True))
            await socket.send({"type": "message", "text": "¿Hay alguien?", "client_id": "p-1"})
            paused_ack = await socket.frame()
            try:
                after_pause = await socket.frame(timeout=1.5)
            except TimeoutError:
                after_pause = None
            await asyncio.to_thread(lambda: conversation_of_session().update(bot_paused=False))
            # No balance: refused before anything is stored, so the widget marks it "not sent".
            await asyncio.to_thread(Wallet.unscoped.create, organization=organization, balance=Decimal(0))
            await socket.send({"type": "message", "text": "¿Y ahora?", "client_id": "w-1"})
            no_funds = await socket.frame()
            # Suspended while the chat is open: the next message closes it.
            await asyncio.to_thread(Organization.objects.filter(pk=organization.pk).update, is_suspended=True)
            await socket.send({"type": "message", "text": "¿Hola?", "client_id": "s-1"})
            suspended = await socket.close_code()
            return paused_ack, after_pause, no_funds, suspended

    paused_ack, after_pause, no_funds, suspended = run(scenario())

    assert paused_ack["type"] == "ack"
    assert paused_ack["client_id"] == "p-1"
    assert after_pause is None
    assert (no_funds["type"], no_funds["code"]) == ("error", "unavailable")
    assert suspended == 4403
    conversation = conversation_of_session().get()
    texts = list(Message.unscoped.filter(conversation=conversation, role="user").values_list("content", flat=True))
    assert texts == ["Hola", "¿Hay alguien?"]
    assert len(fake_openai.requests) == 1  # only "Hola" was answered
