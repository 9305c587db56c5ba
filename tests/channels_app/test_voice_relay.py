"""ConversationRelay end to end: a scripted Twilio client over a real WebSocket against
daphne, the fake LLM streaming tokens. Twilio's side of the protocol is played by this
file: it answers the call through the signed webhook, reads the TwiML, opens the relay
URL with `X-Twilio-Signature` and speaks the documented JSON messages."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agents.models import Message
from channels_app.voice.models import Call
from tests.channels_app.test_voice import (
    HANDOFF_NUMBER,
    account_sid_for,
    auth_token_for,
    call_params,
    relay_element,
    relay_parameters,
    twilio_signature,
    voice_line,
)
from tests.fakes.openai_server import FakeOpenAI

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

FRAME_TIMEOUT = 10.0
LONG_REPLY = " ".join(f"palabra{i}" for i in range(80)) + "."


@dataclass
class Answered:
    call_sid: str
    twiml: str
    relay_url: str
    parameters: dict[str, str]
    auth_token: str
    account_sid: str
    frames: list[dict[str, Any]] = field(default_factory=list)

    def setup_message(self, **overrides: Any) -> dict[str, Any]:
        message = {
            "type": "setup",
            "sessionId": "VX" + self.call_sid[2:],
            "accountSid": self.account_sid,
            "parentCallSid": "",
            "callSid": self.call_sid,
            "from": "+34600111222",
            "to": "+34910000001",
            "forwardedFrom": "",
            "callerName": "",
            "direction": "inbound",
            "callType": "PSTN",
            "callStatus": "RINGING",
            "customParameters": dict(self.parameters),
        }
        message.update(overrides)
        return message


def answer_call(server, line, call_sid: str) -> Answered:
    """Twilio's incoming-call webhook against daphne; returns what Twilio would read."""
    url = f"{server.url}/webhooks/twilio/voice/"
    params = call_params(line, call_sid)
    token = auth_token_for(line.organization)
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={"X-Twilio-Signature": twilio_signature(url, params, token)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        twiml = response.read().decode()
    return Answered(
        call_sid=call_sid,
        twiml=twiml,
        relay_url=relay_element(twiml).get("url") or "",
        parameters=relay_parameters(twiml),
        auth_token=token,
        account_sid=account_sid_for(line.organization),
    )


async def open_relay(answered: Answered, *, signature: str | None = None, url: str | None = None) -> ClientConnection:
    url = url or answered.relay_url
    headers = (
        {} if signature == "" else {"X-Twilio-Signature": signature or twilio_signature(url, {}, answered.auth_token)}
    )
    return await connect(url, additional_headers=headers, open_timeout=10)


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def next_frame(ws: ClientConnection, timeout: float = FRAME_TIMEOUT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def frames_until_last(ws: ClientConnection) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = await next_frame(ws)
        frames.append(frame)
        if frame.get("type") == "text" and frame.get("last"):
            return frames


async def frames_within(ws: ClientConnection, *, seconds: float) -> list[dict[str, Any]]:
    """Every frame that arrives until the socket has been quiet for `seconds`."""
    frames = []
    while True:
        try:
            frames.append(await next_frame(ws, timeout=seconds))
        except TimeoutError:
            return frames


async def started(answered: Answered) -> ClientConnection:
    ws = await open_relay(answered)
    await send(ws, answered.setup_message())
    return ws


def prompt(text: str, *, last: bool = True, lang: str = "es-ES") -> dict[str, Any]:
    return {"type": "prompt", "voicePrompt": text, "lang": lang, "last": last}


def wait_for(predicate, timeout: float = 10.0):
    """Poll the database until the server process has written what we expect."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def reply_to(text: str) -> Message | None:
    prompt_message = Message.unscoped.filter(role="user", content=text).first()
    if prompt_message is None:
        return None
    return next(
        (
            m
            for m in Message.unscoped.filter(conversation_id=prompt_message.conversation_id, role="assistant")
            if m.metadata.get("reply_to") == str(prompt_message.pk)
        ),
        None,
    )


# --- streaming ---------------------------------------------------------------------------------


def test_setup_prompt_streams_tokens_as_text_frames(daphne_server, tenant, fake_openai):
    line = voice_line(tenant.organization, fake_openai.base_url)
    answered = answer_call(daphne_server, line, "CA" + "e" * 32)
    reply = "Abrimos de ocho de la mañana a ocho de la tarde, de lunes a sábado."
    fake_openai.queue("Hola.")
    fake_openai.queue(reply, token_delay=0.02)
    measured: dict[str, float] = {}

    async def script() -> list[dict[str, Any]]:
        async with await started(answered) as ws:
            sent = time.perf_counter()
            await send(ws, prompt("Hola"))  # the first turn also pays for this server process's cold start
            await frames_until_last(ws)
            measured["cold_ms"] = (time.perf_counter() - sent) * 1000
            await send(ws, prompt("a qué hora", last=False))  # partial transcript: nothing happens
            sent = time.perf_counter()
            await send(ws, prompt("¿A qué hora abrís?"))
            frames = [await next_frame(ws)]
            measured["first_frame_ms"] = (time.perf_counter() - sent) * 1000
            frames += await frames_until_last(ws) if not frames[0].get("last") else []
            return frames

    frames = asyncio.run(script())

    tokens = [f["token"] for f in frames]
    assert all(f["type"] == "text" for f in frames)
    assert len(frames) > 5, "tokens must be forwarded as the model streams them"
    assert "".join(tokens) == reply
    assert frames[-1] == {"type": "text", "token": "", "last": True}
    assert not any(f["last"] for f in frames[:-1])
    assert len(fake_openai.requests) == 2
    assert fake_openai.last_request["json"]["messages"][-1] == {"role": "user", "content": "¿A qué hora abrís?"}

    message = wait_for(lambda: (m := reply_to("¿A qué hora abrís?")) and m.reply_sent_at and m)
    assert message.content == reply
    stages = [message.received_at, message.llm_request_at, message.first_token_at, message.llm_done_at]
    assert all(stages)
    assert stages == sorted(stages)
    first_frame_at = message.metadata["first_text_frame_at"]
    assert message.first_token_at.isoformat() <= first_frame_at <= message.reply_sent_at.isoformat()
    server_ms = message.metadata["voice_ms"]["first_text_frame"]
    assert server_ms is not None
    assert server_ms >= 0
    assert Message.unscoped.filter(role="user").count() == 2  # the partial transcript was not stored
    call = Call.unscoped.get(call_sid=answered.call_sid)
    assert call.status == Call.Status.IN_PROGRESS
    assert call.session_id.startswith("VX")
    assert call.answered_at
    print(
        f"\nprompt → first text frame: client {measured['first_frame_ms']:.1f} ms, server {server_ms} ms "
        f"(first turn of the process, whole reply: {measured['cold_ms']:.0f} ms); "
        f"timings {message.timings_ms()}"
    )


def test_interrupt_stops_tokens_at_once_and_keeps_what_the_caller_heard(daphne_server, tenant, fake_openai):
    line = voice_line(tenant.organization, fake_openai.base_url)
    answered = answer_call(daphne_server, line, "CA" + "f" * 32)
    fake_openai.queue(LONG_REPLY, token_delay=0.05)
    fake_openai.queue("Claro, dígame.")

    async def script() -> tuple[list[dict], list[dict], list[dict]]:
        async with await started(answered) as ws:
            await send(ws, prompt("Cuéntame todo"))
            before = [await next_frame(ws) for _ in range(3)]
            heard = "".join(f["token"] for f in before[:2])
            await send(ws, {"type": "interrupt", "utteranceUntilInterrupt": heard, "durationUntilInterruptMs": 700})
            after = await frames_within(ws, seconds=0.6)
            await send(ws, prompt("Una pregunta"))
            follow_up = await frames_until_last(ws)
            return before, after, follow_up

    before, after, follow_up = asyncio.run(script())

    assert len([f for f in after if f.get("type") == "text"]) <= 1, after
    print(f"\ntext frames after interrupt: {len(after)}")
    assert "".join(f["token"] for f in follow_up) == "Claro, dígame."
    assert fake_openai.wait_until(lambda: fake_openai.cancelled_streams == 1)
    heard = "".join(f["token"] for f in before[:2])
    message = wait_for(lambda: (m := reply_to("Cuéntame todo")) and m.metadata.get("interrupted") and m)
    assert message.content == heard
    assert message.metadata["generated"].startswith(heard)
    assert len(message.metadata["generated"]) < len(LONG_REPLY)
    assert message.metadata["heard_ms"] == 700
    # The next turn's history carries what the caller heard, not what was generated.
    history = fake_openai.last_request["json"]["messages"]
    assert {"role": "assistant", "content": heard} in history


def test_interrupting_the_greeting_keeps_only_the_heard_part(daphne_server, tenant, fake_openai):
    line = voice_line(tenant.organization, fake_openai.base_url)
    answered = answer_call(daphne_server, line, "CA" + "1" * 31 + "e")

    async def script() -> None:
        async with await started(answered) as ws:
            await send(
                ws, {"type": "interrupt", "utteranceUntilInterrupt": "¡Hola! Café Sol", "durationUntilInterruptMs": 900}
            )
            await send(ws, {"type": "error", "description": "Invalid message received"})
            await asyncio.sleep(0.3)

    asyncio.run(script())

    greeting = wait_for(
        lambda: next((m for m in Message.unscoped.filter(role="assistant") if m.metadata.get("interrupted")), None)
    )
    assert greeting.content == "¡Hola! Café Sol"
    assert greeting.metadata["greeting"] is True
    call = wait_for(lambda: Call.unscoped.filter(call_sid=answered.call_sid).exclude(error="").first())
    assert call.error == "Invalid message received"


def test_language_switch_sends_a_language_frame_before_the_reply(daphne_server, tenant, fake_openai):
    voice = {"languages": [{"code": "en-US", "tts_provider": "Google", "voice": "en-US-Journey-O"}]}
    line = voice_line(tenant.organization, fake_openai.base_url, voice=voice)
    answered = answer_call(daphne_server, line, "CA" + "2" * 31 + "e")
    fake_openai.queue("We open at eight.")

    async def script() -> list[dict]:
        async with await started(answered) as ws:
            await send(ws, prompt("When do you open?", lang="en-US"))
            return await frames_until_last(ws)

    frames = asyncio.run(script())

    assert frames[0] == {"type": "language", "ttsLanguage": "en-US", "transcriptionLanguage": "en-US"}
    assert "".join(f["token"] for f in frames[1:]) == "We open at eight."


# --- handshake and setup security --------------------------------------------------------------


def test_bad_handshake_signatures_are_refused(daphne_server, tenant, other_tenant, fake_openai):
    line = voice_line(tenant.organization, fake_openai.base_url)
    answered = answer_call(daphne_server, line, "CA" + "3" * 31 + "e")
    other_token = auth_token_for(other_tenant.organization)
    forged_url = answered.relay_url.replace(answered.parameters["session"][:10], "A" * 10)

    async def attempt(**kwargs: Any) -> int:
        with pytest.raises(InvalidStatus) as refused:
            await open_relay(answered, **kwargs)
        return refused.value.response.status_code

    async def script() -> list[int]:
        return [
            await attempt(signature=""),  # unsigned
            await attempt(signature="bm90IGEgc2lnbmF0dXJl"),  # garbage
            await attempt(signature=twilio_signature(answered.relay_url, {}, other_token)),  # wrong tenant's token
            # Correctly signed by the account, but the session token was not made by us.
            await attempt(url=forged_url, signature=twilio_signature(forged_url, {}, answered.auth_token)),
        ]

    assert asyncio.run(script()) == [403, 403, 403, 403]
    call = Call.unscoped.get(call_sid=answered.call_sid)
    assert call.status == Call.Status.RINGING
    assert call.session_id == ""
    assert call.answered_at is None


@pytest.mark.parametrize(
    "tamper",
    [
        {"customParameters": {"connection": "000000000000000000000000", "session": "x"}},
        {"callSid": "CA" + "0" * 32},
        {"customParameters": {}},
    ],
)
def test_setup_with_tampered_parameters_closes_with_4403_and_changes_nothing(
    daphne_server, tenant, fake_openai, tamper
):
    line = voice_line(tenant.organization, fake_openai.base_url)
    answered = answer_call(daphne_server, line, "CA" + "4" * 31 + "e")

    async def script() -> int | None:
        async with await open_relay(answered) as ws:
            await send(ws, answered.setup_message(**tamper))
            await send(ws, prompt("hola"))
            with pytest.raises(ConnectionClosed) as closed:
                await next_frame(ws)
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert asyncio.run(script()) == 4403
    call = Call.unscoped.get(call_sid=answered.call_sid)
    assert call.status == Call.Status.RINGING
    assert call.session_id == ""
    assert not Message.unscoped.filter(role="user").exists()
    assert fake_openai.requests == []


# --- handoff -----------------------------------------------------------------------------------


def _post_action(server, answered: Answered, **fields: str) -> str:
    url = f"{server.url}/webhooks/twilio/voice/relay-action/"
    params = {"CallSid": answered.call_sid, "AccountSid": answered.account_sid, "SessionStatus": "ended", **fields}
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={"X-Twilio-Signature": twilio_signature(url, params, answered.auth_token)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def test_dtmf_zero_hands_off_to_a_person_and_the_action_dials_them(daphne_server, tenant, fake_openai):
    line = voice_line(tenant.organization, fake_openai.base_url, handoff_phone_number=HANDOFF_NUMBER)
    answered = answer_call(daphne_server, line, "CA" + "5" * 31 + "e")
    assert relay_element(answered.twiml).get("dtmfDetection") == "true"

    async def script() -> list[dict]:
        async with await started(answered) as ws:
            await send(ws, {"type": "dtmf", "digit": "5"})  # not the handoff digit: ignored
            await send(ws, {"type": "dtmf", "digit": "0"})
            return [await next_frame(ws), await next_frame(ws)]

    spoken, end = asyncio.run(script())

    assert spoken == {
        "type": "text",
        "token": "Le paso con una persona del equipo. Un momento, por favor.",
        "last": True,
    }
    assert end["type"] == "end"
    handoff = json.loads(end["handoffData"])
    assert handoff == {"reason": "handoff", "detail": "keypad", "number": HANDOFF_NUMBER, "source": "dtmf"}
    call = Call.unscoped.get(call_sid=answered.call_sid)
    assert (call.outcome, call.handoff_source, call.handoff_number) == ("handoff", "dtmf", HANDOFF_NUMBER)

    twiml = _post_action(daphne_server, answered, HandoffData=end["handoffData"], SessionDuration="12")
    assert ElementTree.fromstring(twiml).find("Dial").text == HANDOFF_NUMBER
    assert fake_openai.requests == []


def test_handoff_tool_ends_the_session_after_the_spoken_reply(daphne_server, tenant, fake_openai):
    line = voice_line(
        tenant.organization, fake_openai.base_url, handoff_phone_number=HANDOFF_NUMBER, tools=["handoff_to_human"]
    )
    answered = answer_call(daphne_server, line, "CA" + "6" * 31 + "e")
    fake_openai.queue(FakeOpenAI.tool_call("handoff_to_human", {"reason": "pide hablar con una persona"}))
    fake_openai.queue("Le paso con un compañero ahora mismo.")

    async def script() -> tuple[list[dict], dict]:
        async with await started(answered) as ws:
            await send(ws, prompt("Quiero hablar con una persona"))
            spoken = await frames_until_last(ws)
            return spoken, await next_frame(ws)

    spoken, end = asyncio.run(script())

    assert "".join(f["token"] for f in spoken) == "Le paso con un compañero ahora mismo."
    assert end["type"] == "end"
    assert json.loads(end["handoffData"]) == {
        "reason": "handoff", "detail": "pide hablar con una persona", "number": HANDOFF_NUMBER, "source": "agent",
    }  # fmt: skip
    call = Call.unscoped.get(call_sid=answered.call_sid)
    assert (call.outcome, call.handoff_source) == ("handoff", "agent")


def test_a_number_paused_or_an_organization_suspended_after_answering_refuses_the_relay(
    daphne_server, tenant, fake_openai
):
    from accounts.services.organizations import organization_set_suspended
    from channels_app.models import ChannelConnection

    line = voice_line(tenant.organization, fake_openai.base_url)
    paused = answer_call(daphne_server, line, "CA" + "4" * 31 + "f")
    ChannelConnection.unscoped.filter(pk=line.pk).update(is_active=False)

    async def status_of(answered: Any) -> int:
        with pytest.raises(InvalidStatus) as refused:
            await open_relay(answered)
        return refused.value.response.status_code

    assert asyncio.run(status_of(paused)) == 403

    ChannelConnection.unscoped.filter(pk=line.pk).update(is_active=True)
    suspended = answer_call(daphne_server, line, "CA" + "5" * 31 + "f")
    organization_set_suspended(organization=tenant.organization, suspended=True)
    assert asyncio.run(status_of(suspended)) == 403
