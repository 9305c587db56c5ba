"""The fakes must fool the real SDKs: litellm (via the openai SDK and httpx) and twilio.

No Django here. Run alone with:
    .venv/bin/python -m pytest -p no:django --noconftest tests/fakes_selftest -q
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

# litellm fetches its model cost map from the internet at import unless told not to.
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")

import litellm
from litellm.exceptions import MidStreamFallbackError
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.fakes import FakeOpenAI, FakeTwilio
from tests.fakes.openai_server import Reply

MODEL = "openai/gpt-4o-mini"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def llm_kwargs(fake: FakeOpenAI, **extra: Any) -> dict[str, Any]:
    # max_retries=0: the openai SDK retries 429/5xx twice by default, which would
    # consume extra scripted replies and hide the error from the test.
    return {"model": MODEL, "api_base": fake.base_url, "api_key": "sk-test", "max_retries": 0, **extra}


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def collect_text(response: Any, *, into: list[str]) -> None:
    async for chunk in response:
        into.append(chunk.choices[0].delta.content or "")


# -- OpenAI via litellm ---------------------------------------------------------------


async def test_acompletion_streams_text_word_by_word(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue("Hello brave new world")

    response = await litellm.acompletion(**llm_kwargs(fake_openai), messages=user("hi"), stream=True)
    pieces = [chunk.choices[0].delta.content async for chunk in response if chunk.choices[0].delta.content]

    assert pieces == ["Hello", " brave", " new", " world"]
    sent = fake_openai.last_request
    assert sent["path"] == "/v1/chat/completions"
    assert sent["json"]["model"] == "gpt-4o-mini"
    assert sent["json"]["stream"] is True
    assert sent["headers"]["authorization"] == "Bearer sk-test"
    assert await fake_openai.wait_until_async(lambda: fake_openai.completed_streams == 1)


def test_sync_completion_streams_the_default_echo(fake_openai: FakeOpenAI) -> None:
    response = litellm.completion(**llm_kwargs(fake_openai), messages=user("ping me back"), stream=True)
    pieces = [chunk.choices[0].delta.content or "" for chunk in response]

    assert "".join(pieces) == "Echo: ping me back"
    assert fake_openai.wait_until(lambda: fake_openai.completed_streams == 1)


def test_completion_echoes_last_user_message_with_usage(fake_openai: FakeOpenAI) -> None:
    messages = [
        {"role": "system", "content": "You are terse"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "how are you"},
    ]

    response = litellm.completion(**llm_kwargs(fake_openai), messages=messages)

    assert response.choices[0].message.content == "Echo: how are you"
    assert response.choices[0].finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (10, 4)
    assert response.usage.total_tokens == 14


async def test_stream_with_include_usage_reports_usage_at_the_end(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue("one two three")

    response = await litellm.acompletion(
        **llm_kwargs(fake_openai),
        messages=user("count to three please"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in response]

    assert fake_openai.last_request["json"]["stream_options"] == {"include_usage": True}
    usages = [chunk.usage for chunk in chunks if getattr(chunk, "usage", None)]
    assert usages, "litellm surfaced no usage chunk"
    assert (usages[-1].prompt_tokens, usages[-1].completion_tokens) == (4, 3)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"


async def test_streamed_tool_call_is_reassembled_by_litellm(fake_openai: FakeOpenAI) -> None:
    arguments = {"city": "Paris", "unit": "celsius", "days": 3}
    fake_openai.queue(FakeOpenAI.tool_call("get_weather", arguments, id="call_weather1"))
    messages = user("weather in Paris?")
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]

    response = await litellm.acompletion(**llm_kwargs(fake_openai), messages=messages, tools=tools, stream=True)
    chunks = [chunk async for chunk in response]
    rebuilt = litellm.stream_chunk_builder(chunks, messages=messages)

    assert rebuilt is not None
    choice = rebuilt.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert (call.id, call.function.name) == ("call_weather1", "get_weather")
    assert json.loads(call.function.arguments) == arguments
    # The arguments really arrived in several pieces, as with the real API.
    argument_deltas = [c for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert len(argument_deltas) > 2
    assert fake_openai.last_request["json"]["tools"] == tools


def test_non_stream_parallel_tool_calls(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue([FakeOpenAI.tool_call("lookup", {"q": "a"}), FakeOpenAI.tool_call("lookup", '{"q": "b"}')])

    response = litellm.completion(**llm_kwargs(fake_openai), messages=user("look up a and b"))

    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert [json.loads(c.function.arguments) for c in calls] == [{"q": "a"}, {"q": "b"}]
    assert all(c.id.startswith("call_") and c.type == "function" for c in calls)


@pytest.mark.parametrize(
    ("status", "error_type", "exception"),
    [
        (500, "server_error", litellm.InternalServerError),
        (429, "requests", litellm.RateLimitError),
        (400, "invalid_request_error", litellm.BadRequestError),
    ],
)
async def test_errors_raise_litellm_exceptions(
    fake_openai: FakeOpenAI, status: int, error_type: str, exception: type[Exception]
) -> None:
    fake_openai.queue(FakeOpenAI.error(status, "scripted failure", type=error_type))

    with pytest.raises(exception) as raised:
        await litellm.acompletion(**llm_kwargs(fake_openai), messages=user("hi"), stream=True)

    assert raised.value.status_code == status  # type: ignore[attr-defined]
    assert "scripted failure" in str(raised.value)
    assert len(fake_openai.requests) == 1
    # The error consumed its script entry; the next call gets the default echo.
    response = await litellm.acompletion(**llm_kwargs(fake_openai), messages=user("again"))
    assert response.choices[0].message.content == "Echo: again"


def test_wrong_api_key_is_an_authentication_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.api_key = "sk-right"

    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(**llm_kwargs(fake_openai, api_key="sk-wrong"), messages=user("hi"))

    ok = litellm.completion(**llm_kwargs(fake_openai, api_key="sk-right"), messages=user("hi"))
    assert ok.choices[0].message.content == "Echo: hi"


async def test_latency_and_reply_delay_hold_back_the_first_byte(fake_openai: FakeOpenAI) -> None:
    fake_openai.latency = 0.2
    fake_openai.queue("slow", delay=0.1)

    started = time.monotonic()
    response = await litellm.acompletion(**llm_kwargs(fake_openai), messages=user("hi"), stream=True)
    first = await response.__anext__()
    elapsed = time.monotonic() - started

    assert elapsed >= 0.3
    assert first is not None
    await response.aclose()


def test_max_tokens_truncates_with_finish_reason_length(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue("a b c d e f")

    response = litellm.completion(**llm_kwargs(fake_openai), messages=user("hi"), max_tokens=3)

    assert response.choices[0].message.content == "a b c"
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 3


async def test_client_closing_mid_stream_is_counted_and_server_survives(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(" ".join(f"word{i}" for i in range(200)), token_delay=0.02)

    response = await litellm.acompletion(**llm_kwargs(fake_openai), messages=user("hi"), stream=True)
    received = 0
    async for chunk in response:
        received += bool(chunk.choices[0].delta.content)
        if received == 3:
            break
    await response.aclose()

    assert await fake_openai.wait_until_async(lambda: fake_openai.cancelled_streams == 1)
    assert fake_openai.completed_streams == 0
    after = await litellm.acompletion(**llm_kwargs(fake_openai), messages=user("still there?"))
    assert after.choices[0].message.content == "Echo: still there?"


async def test_dropped_connection_mid_stream_surfaces_as_an_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue("never finishes this sentence at all", disconnect_after=2)

    response = await litellm.acompletion(**llm_kwargs(fake_openai), messages=user("hi"), stream=True)
    pieces: list[str] = []
    # litellm turns a broken stream into MidStreamFallbackError (a ServiceUnavailableError).
    with pytest.raises(MidStreamFallbackError):
        await collect_text(response, into=pieces)

    assert "".join(pieces) == "never finishes"


def test_control_endpoints_script_the_fake_over_http(fake_openai: FakeOpenAI) -> None:
    control = httpx.Client(base_url=fake_openai.origin)
    assert control.post("/_fake/queue", json={"text": "from another process"}).status_code == 200
    assert control.post("/_fake/queue", json={"tool_call": {"name": "ping", "arguments": {"n": 1}}}).is_success
    assert control.post("/_fake/queue", json={"error": {"status": 503, "message": "overloaded"}}).is_success
    assert control.post("/_fake/queue", json={"nonsense": 1}).status_code == 400

    text = litellm.completion(**llm_kwargs(fake_openai), messages=user("hi"))
    tool = litellm.completion(**llm_kwargs(fake_openai), messages=user("hi"))
    with pytest.raises(litellm.ServiceUnavailableError):
        litellm.completion(**llm_kwargs(fake_openai), messages=user("hi"))

    assert text.choices[0].message.content == "from another process"
    assert tool.choices[0].message.tool_calls[0].function.name == "ping"
    recorded = control.get("/_fake/requests").json()
    assert [r["path"] for r in recorded] == ["/v1/chat/completions"] * 3
    assert control.post("/_fake/reset", json={}).is_success
    assert control.get("/_fake/requests").json() == []


def test_models_endpoint_lists_models(fake_openai: FakeOpenAI) -> None:
    response = httpx.get(f"{fake_openai.base_url}/models", headers={"Authorization": "Bearer x"})

    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert {"id": "gpt-4o-mini", "object": "model"}.items() <= body["data"][0].items()


def test_queue_accepts_reply_objects_and_rejects_nonsense(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Reply(text="Let me check.", tool_calls=(FakeOpenAI.tool_call("check", {}),)))
    with pytest.raises(TypeError):
        fake_openai.queue(42)  # type: ignore[arg-type]

    response = litellm.completion(**llm_kwargs(fake_openai), messages=user("hi"))

    message = response.choices[0].message
    assert message.content == "Let me check."
    assert message.tool_calls[0].function.name == "check"
    assert fake_openai.pending == 0


def test_standalone_server_for_benchmarks() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server", "--port", str(port), "--latency-ms", "10"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/v1" in process.stdout.readline()
        base_url = f"http://127.0.0.1:{port}/v1"
        httpx.post(f"http://127.0.0.1:{port}/_fake/queue", json={"text": "bench reply"})
        response = litellm.completion(model=MODEL, api_base=base_url, api_key="x", messages=user("hi"))
        assert response.choices[0].message.content == "bench reply"
        assert httpx.get(f"http://127.0.0.1:{port}/_fake/stats").json()["latency_ms"] == 10
    finally:
        process.terminate()
        process.wait(timeout=5)


# -- Twilio via the twilio SDK ----------------------------------------------------------

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "token-1"


class RebasingHttpClient(TwilioHttpClient):
    """What the app's Twilio client module does: send the SDK's api.twilio.com URLs elsewhere."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        rebased = urlunsplit(
            (self._base.scheme, self._base.netloc, self._base.path.rstrip("/") + parts.path, parts.query, "")
        )
        return super().request(method, rebased, *args, **kwargs)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


def twilio_client(fake: FakeTwilio, username: str = ACCOUNT_SID, password: str = AUTH_TOKEN) -> Client:
    return Client(username, password, account_sid=ACCOUNT_SID, http_client=RebasingHttpClient(fake.base_url))


def test_sdk_sends_an_sms(fake_twilio: FakeTwilio) -> None:
    message = twilio_client(fake_twilio).messages.create(
        to="+15550001111", from_="+15550002222", body="Your table is ready", status_callback="https://app.test/cb"
    )

    assert message.sid is not None
    assert message.sid.startswith("SM")
    assert len(message.sid) == 34
    assert (message.status, message.direction, message.num_segments) == ("queued", "outbound-api", "1")
    assert message.account_sid == ACCOUNT_SID
    assert isinstance(message.date_created, datetime)  # the SDK parsed our RFC 2822 date
    [sent] = fake_twilio.messages
    assert sent == {
        "To": "+15550001111",
        "From": "+15550002222",
        "Body": "Your table is ready",
        "StatusCallback": "https://app.test/cb",
        "sid": message.sid,
        "account_sid": ACCOUNT_SID,
    }
    assert twilio_client(fake_twilio).messages(message.sid).fetch().body == "Your table is ready"


def test_messaging_service_with_media_and_template(fake_twilio: FakeTwilio) -> None:
    message = twilio_client(fake_twilio).messages.create(
        to="whatsapp:+15550001111",
        messaging_service_sid="MG" + "a" * 32,
        content_sid="HX" + "b" * 32,
        content_variables=json.dumps({"1": "Ada"}),
        media_url=["https://cdn.test/a.png", "https://cdn.test/b.png"],
    )

    assert (message.status, message.num_media) == ("accepted", "2")
    [sent] = fake_twilio.messages
    assert sent["MediaUrl"] == ["https://cdn.test/a.png", "https://cdn.test/b.png"]
    assert json.loads(sent["ContentVariables"]) == {"1": "Ada"}


def test_long_unicode_body_counts_ucs2_segments(fake_twilio: FakeTwilio) -> None:
    message = twilio_client(fake_twilio).messages.create(to="+15550001111", from_="+15550002222", body="ü€😀" * 30)

    assert message.num_segments == "2"  # 90 chars with an emoji: UCS-2, 67 per segment


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"to": "", "from_": "+15550002222", "body": "hi"}, 21604),
        ({"to": "+15550001111", "body": "hi"}, 21603),
        ({"to": "+15550001111", "from_": "+15550002222"}, 21619),
        ({"to": "not-a-number", "from_": "+15550002222", "body": "hi"}, 21211),
        ({"to": "+15550001111", "from_": "+15550002222", "body": "x" * 1601}, 21617),
    ],
)
def test_invalid_sends_raise_twilio_errors(fake_twilio: FakeTwilio, fields: dict[str, str], code: int) -> None:
    with pytest.raises(TwilioRestException) as raised:
        twilio_client(fake_twilio).messages.create(**fields)

    assert (raised.value.status, raised.value.code) == (400, code)
    assert fake_twilio.messages == []


def test_credentials_are_checked(fake_twilio: FakeTwilio) -> None:
    fake_twilio.credentials = {ACCOUNT_SID: AUTH_TOKEN, "SK" + "c" * 32: "key-secret"}

    with pytest.raises(TwilioRestException) as raised:
        twilio_client(fake_twilio, password="wrong").api.v2010.accounts(ACCOUNT_SID).fetch()
    assert (raised.value.status, raised.value.code) == (401, 20003)

    account = twilio_client(fake_twilio).api.v2010.accounts(ACCOUNT_SID).fetch()
    assert (account.sid, account.status) == (ACCOUNT_SID, "active")
    api_key_client = twilio_client(fake_twilio, username="SK" + "c" * 32, password="key-secret")
    assert api_key_client.messages.create(to="+15550001111", from_="+15550002222", body="hi").sid


def test_default_auth_rejects_another_accounts_sid(fake_twilio: FakeTwilio) -> None:
    other = "AC" + "f" * 32

    with pytest.raises(TwilioRestException) as raised:
        twilio_client(fake_twilio, username=other).messages.create(to="+15550001111", from_="+15550002222", body="x")

    assert raised.value.code == 20003


def test_fail_next_fails_exactly_one_send(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    client = twilio_client(fake_twilio)

    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="+15550001111", from_="+15550002222", body="hi")
    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert "unsubscribed" in raised.value.msg

    assert client.messages.create(to="+15550001111", from_="+15550002222", body="hi").status == "queued"
    assert len(fake_twilio.messages) == 1


def test_call_update_with_twiml(fake_twilio: FakeTwilio) -> None:
    call_sid = "CA" + "d" * 32
    twiml = "<Response><Say>Transferring you now</Say></Response>"

    call = twilio_client(fake_twilio).calls(call_sid).update(twiml=twiml)
    ended = twilio_client(fake_twilio).calls(call_sid).update(status="completed")

    assert (call.sid, call.status) == (call_sid, "in-progress")
    assert ended.status == "completed"
    assert fake_twilio.call_updates == [
        {"Twiml": twiml, "call_sid": call_sid, "account_sid": ACCOUNT_SID},
        {"Status": "completed", "call_sid": call_sid, "account_sid": ACCOUNT_SID},
    ]


def test_unknown_route_is_a_twilio_404(fake_twilio: FakeTwilio) -> None:
    response = httpx.get(f"{fake_twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Nope.json")

    assert response.status_code == 404
    assert response.json()["code"] == 20404
