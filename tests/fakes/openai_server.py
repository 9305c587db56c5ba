"""A fake OpenAI-compatible Chat Completions server for tests and benchmarks.

It speaks the documented wire format over real HTTP (JSON bodies, SSE streams with
chunked transfer encoding, OpenAI error objects) so the real SDK paths run end to end:
litellm -> openai SDK -> httpx -> socket -> here.

    with FakeOpenAI() as fake:
        fake.queue("Hello there")                                 # scripted text
        fake.queue(FakeOpenAI.tool_call("get_weather", {"city": "Paris"}))
        fake.queue(FakeOpenAI.error(429, "Slow down", type="requests", code="rate_limit_exceeded"))
        litellm.completion(model="openai/gpt-4o-mini", api_base=fake.base_url, api_key="x", ...)
        fake.last_request["json"]["messages"]

With nothing queued the reply is "Echo: <last user message>". Usage counts are
whitespace-separated words, so they are deterministic.

Standalone (benchmarks, other processes script it over /_fake/*):

    python -m tests.fakes.openai_server --port 8765 --latency-ms 200 --token-delay-ms 20
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import select
import socket
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.local_server import FakeRequestHandler, FakeServer

__all__ = ["ErrorReply", "FakeOpenAI", "Reply", "ToolCall"]

MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini")
SYSTEM_FINGERPRINT = "fp_fake"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] | str
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)


@dataclass(frozen=True)
class ErrorReply:
    status: int
    message: str
    type: str = "server_error"
    code: str | None = None
    param: str | None = None
    # Real 429s carry retry-after; the openai SDK sleeps for it before retrying.
    retry_after: float | None = None

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {
            "retry-after": str(int(self.retry_after)),
            "retry-after-ms": str(int(self.retry_after * 1000)),
        }


@dataclass(frozen=True)
class Reply:
    """One scripted response. `text` and `tool_calls` may both be set, like the real API."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    error: ErrorReply | None = None
    delay: float | None = None  # seconds before the status line, on top of `fake.latency`
    token_delay: float | None = None  # seconds between streamed chunks; overrides the fake's
    chunks: tuple[str, ...] | None = None  # explicit stream pieces; default is word-sized
    # Drop the TCP connection after this many content/argument chunks, to exercise
    # the client's "stream broke half way" path.
    disconnect_after: int | None = None


ScriptItem = str | ToolCall | Sequence[ToolCall] | ErrorReply | Reply


def split_into_tokens(text: str) -> list[str]:
    """Word-sized pieces that concatenate back to `text` exactly (leading spaces kept)."""
    return re.findall(r"\s*\S+|\s+", text)


def count_words(text: str) -> int:
    return len(text.split())


def _content_text(content: Any) -> str:
    """Text of a message `content`: a string, or a list of typed parts (vision format)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


@dataclass
class _Completion:
    """A reply resolved against one request: what to send, and its usage."""

    id: str
    model: str
    created: int
    text_chunks: list[str]
    tool_calls: list[tuple[str, ToolCall]]  # (call id, call)
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    include_usage: bool = False
    token_delay: float = 0.0
    disconnect_after: int | None = None
    argument_chunks: dict[int, list[str]] = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        return "".join(self.text_chunks) if self.text_chunks else None


class FakeOpenAI(FakeServer):
    """Fake `https://api.openai.com/v1`. Thread-safe scripting; see module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        token_delay: float = 0.0,
        api_key: str | None = None,
        record_limit: int | None = None,
    ) -> None:
        super().__init__(host, port)
        self.latency = latency  # seconds before the first byte of every API response
        self.token_delay = token_delay  # seconds between streamed chunks
        # None accepts any bearer token (one must still be sent, as with the real API).
        self.api_key = api_key
        self._script: deque[Reply] = deque()
        # A long benchmark run must not grow without bound; tests keep everything.
        self._requests: deque[dict[str, Any]] = deque(maxlen=record_limit)
        self._cancelled_streams = 0
        self._completed_streams = 0

    # -- reply builders ------------------------------------------------------------

    @staticmethod
    def tool_call(name: str, arguments: dict[str, Any] | str, id: str | None = None) -> ToolCall:
        return ToolCall(name=name, arguments=arguments, id=id)

    @staticmethod
    def error(
        status: int,
        message: str,
        type: str = "server_error",
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> ErrorReply:
        return ErrorReply(status, message, type, code, param, retry_after)

    # -- scripting -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def queue(
        self,
        reply: ScriptItem,
        *,
        delay: float | None = None,
        token_delay: float | None = None,
        chunks: Sequence[str] | None = None,
        disconnect_after: int | None = None,
    ) -> None:
        """Script the next unscripted chat completion (FIFO). Options override the reply's own."""
        scripted = _as_reply(reply)
        overrides: dict[str, Any] = {
            "delay": delay,
            "token_delay": token_delay,
            "chunks": tuple(chunks) if chunks is not None else None,
            "disconnect_after": disconnect_after,
        }
        scripted = replace(scripted, **{k: v for k, v in overrides.items() if v is not None})
        with self._cond:
            self._script.append(scripted)
            self._changed()

    def reset(self) -> None:
        """Forget scripted replies and recorded traffic. Latency knobs are configuration and stay."""
        with self._cond:
            self._script.clear()
            self._requests.clear()
            self._cancelled_streams = 0
            self._completed_streams = 0
            self._changed()

    # -- recorded state --------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Snapshot of API requests: {"method", "path", "headers" (lower-case keys), "json"}."""
        with self._cond:
            return list(self._requests)

    @property
    def last_request(self) -> dict[str, Any]:
        with self._cond:
            if not self._requests:
                raise AssertionError("FakeOpenAI received no requests")
            return self._requests[-1]

    @property
    def pending(self) -> int:
        """Scripted replies not consumed yet (a test left some over = a request never happened)."""
        with self._cond:
            return len(self._script)

    @property
    def cancelled_streams(self) -> int:
        """Streams whose client disconnected before `data: [DONE]`."""
        with self._cond:
            return self._cancelled_streams

    @property
    def completed_streams(self) -> int:
        with self._cond:
            return self._completed_streams

    # -- used by the handler ----------------------------------------------------------

    def _record(self, method: str, path: str, headers: dict[str, str], body: Any) -> None:
        with self._cond:
            self._requests.append({"method": method, "path": path, "headers": headers, "json": body})
            self._changed()

    def _next_reply(self, messages: list[dict[str, Any]]) -> Reply:
        with self._cond:
            if self._script:
                reply = self._script.popleft()
                self._changed()
                return reply
        return Reply(text=f"Echo: {_last_user_text(messages)}")

    def _stream_ended(self, *, cancelled: bool) -> None:
        with self._cond:
            if cancelled:
                self._cancelled_streams += 1
            else:
                self._completed_streams += 1
            self._changed()

    def _stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "requests": len(self._requests),
                "pending": len(self._script),
                "cancelled_streams": self._cancelled_streams,
                "completed_streams": self._completed_streams,
                "latency_ms": self.latency * 1000,
                "token_delay_ms": self.token_delay * 1000,
            }


def _as_reply(item: ScriptItem) -> Reply:
    if isinstance(item, Reply):
        return item
    if isinstance(item, str):
        return Reply(text=item)
    if isinstance(item, ToolCall):
        return Reply(tool_calls=(item,))
    if isinstance(item, ErrorReply):
        return Reply(error=item)
    calls = tuple(item)
    if not calls or not all(isinstance(call, ToolCall) for call in calls):
        raise TypeError(f"cannot script {item!r}: expected str, ToolCall(s), ErrorReply or Reply")
    return Reply(tool_calls=calls)


def _reply_from_control_json(payload: dict[str, Any]) -> Reply:
    """`POST /_fake/queue` body -> Reply. Delays are given in seconds, like the Python API."""
    calls = [payload["tool_call"]] if "tool_call" in payload else payload.get("tool_calls", [])
    tool_calls = tuple(ToolCall(name=c["name"], arguments=c.get("arguments", {}), id=c.get("id")) for c in calls)
    error = None
    if "error" in payload:
        e = payload["error"]
        error = ErrorReply(
            status=int(e["status"]),
            message=e.get("message", "fake error"),
            type=e.get("type", "server_error"),
            code=e.get("code"),
            param=e.get("param"),
            retry_after=e.get("retry_after"),
        )
    if payload.get("text") is None and not tool_calls and error is None:
        raise ValueError("expected one of: text, tool_call, tool_calls, error")
    return Reply(
        text=payload.get("text"),
        tool_calls=tool_calls,
        error=error,
        delay=payload.get("delay"),
        token_delay=payload.get("token_delay"),
        chunks=tuple(payload["chunks"]) if payload.get("chunks") is not None else None,
        disconnect_after=payload.get("disconnect_after"),
    )


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(count_words(_content_text(m.get("content"))) for m in messages)


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


class _OpenAIHandler(FakeRequestHandler):
    @property
    def fake(self) -> FakeOpenAI:
        owner = self.server.owner
        assert isinstance(owner, FakeOpenAI)
        return owner

    # -- routing -------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/_fake/requests":
            self.send_json(200, self.fake.requests)
        elif path == "/_fake/stats":
            self.send_json(200, self.fake._stats())
        elif path == "/v1/models":
            self._record_api_call(None)
            if self._authorized():
                created = 1_700_000_000
                models = [{"id": m, "object": "model", "created": created, "owned_by": "system"} for m in MODELS]
                self.send_json(200, {"object": "list", "data": models})
        else:
            self._not_found()

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self.read_body()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        if path.startswith("/_fake/"):
            self._control(path, body)
        elif path == "/v1/chat/completions":
            self._record_api_call(body)
            if self._authorized():
                self._chat_completions(body)
        else:
            self._not_found()

    def _record_api_call(self, body: Any) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.fake._record(self.command, urlsplit(self.path).path, headers, body)

    def _send_error(self, error: ErrorReply) -> None:
        self.send_json(error.status, error.body(), {"x-request-id": _new_id("req_"), **error.headers()})

    def _not_found(self) -> None:
        self._send_error(ErrorReply(404, f"Invalid URL ({self.command} {self.path})", "invalid_request_error"))

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token:
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization"
                " header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        elif self.fake.api_key is not None and token != self.fake.api_key:
            message = f"Incorrect API key provided: {token[:3]}***{token[-4:]}."
        else:
            return True
        self._send_error(ErrorReply(401, message, "invalid_request_error", code="invalid_api_key"))
        return False

    # -- control plane (another process scripts the fake) ------------------------------

    def _control(self, path: str, body: Any) -> None:
        if not isinstance(body, dict):
            self.send_json(400, {"error": "expected a JSON object"})
            return
        if path == "/_fake/queue":
            try:
                reply = _reply_from_control_json(body)
            except (KeyError, TypeError, ValueError) as exc:
                self.send_json(400, {"error": str(exc)})
                return
            self.fake.queue(reply)
            self.send_json(200, {"queued": self.fake.pending})
        elif path == "/_fake/reset":
            self.fake.reset()
            self.send_json(200, {"reset": True})
        elif path == "/_fake/config":
            if "latency_ms" in body:
                self.fake.latency = float(body["latency_ms"]) / 1000
            if "token_delay_ms" in body:
                self.fake.token_delay = float(body["token_delay_ms"]) / 1000
            self.send_json(200, self.fake._stats())
        else:
            self.send_json(404, {"error": f"unknown control path {path}"})

    # -- chat completions ------------------------------------------------------------

    def _chat_completions(self, body: Any) -> None:
        if not isinstance(body, dict):
            self._send_error(
                ErrorReply(400, "We could not parse the JSON body of your request.", "invalid_request_error")
            )
            return
        for required in ("model", "messages"):
            if required not in body:
                self._send_error(
                    ErrorReply(
                        400,
                        f"Missing required parameter: '{required}'.",
                        "invalid_request_error",
                        param=required,
                        code="missing_required_parameter",
                    )
                )
                return
        messages = body["messages"] if isinstance(body["messages"], list) else []
        reply = self.fake._next_reply(messages)

        wait = self.fake.latency + (reply.delay or 0.0)
        if wait and self.fake.stopping.wait(wait):
            self.close_connection = True
            return
        if reply.error is not None:
            self._send_error(reply.error)
            return

        completion = self._resolve(body, messages, reply)
        if body.get("stream"):
            self._stream(completion)
        else:
            self.send_json(200, self._completion_object(completion), {"x-request-id": _new_id("req_")})

    def _resolve(self, body: dict[str, Any], messages: list[dict[str, Any]], reply: Reply) -> _Completion:
        text_chunks = list(reply.chunks) if reply.chunks is not None else split_into_tokens(reply.text or "")
        finish_reason = "tool_calls" if reply.tool_calls else "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and len(text_chunks) > limit:
            # One chunk stands for one token, so the cut-off is as deterministic as usage.
            text_chunks, finish_reason = text_chunks[:limit], "length"
        tool_calls = [(call.id or _new_id("call_"), call) for call in reply.tool_calls]
        argument_chunks = {i: split_into_tokens(call.arguments_json()) for i, (_, call) in enumerate(tool_calls)}
        completion_tokens = len([c for c in text_chunks if c.strip()]) + sum(
            1 + len(pieces) for pieces in argument_chunks.values()
        )
        token_delay = reply.token_delay if reply.token_delay is not None else self.fake.token_delay
        stream_options = body.get("stream_options") or {}
        return _Completion(
            id=_new_id("chatcmpl-"),
            model=str(body["model"]),
            created=int(time.time()),
            text_chunks=text_chunks,
            tool_calls=tool_calls,
            finish_reason=finish_reason,
            prompt_tokens=_prompt_tokens(messages),
            completion_tokens=completion_tokens,
            include_usage=bool(stream_options.get("include_usage")),
            token_delay=token_delay,
            disconnect_after=reply.disconnect_after,
            argument_chunks=argument_chunks,
        )

    def _completion_object(self, c: _Completion) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": c.text, "refusal": None, "annotations": []}
        if c.tool_calls:
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments_json()}}
                for call_id, call in c.tool_calls
            ]
        return {
            "id": c.id,
            "object": "chat.completion",
            "created": c.created,
            "model": c.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": c.finish_reason}],
            "usage": _usage(c.prompt_tokens, c.completion_tokens),
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }

    # -- streaming -------------------------------------------------------------------

    def _deltas(self, c: _Completion) -> Iterator[dict[str, Any]]:
        """The `delta` objects OpenAI sends, in order, before the finish chunk."""
        has_text = bool(c.text_chunks) or not c.tool_calls
        # A tool-call-only reply has content null and the first call rides on the role chunk.
        opening: dict[str, Any] = {
            "role": "assistant",
            "content": "" if has_text else None,
            "refusal": None,
        }
        if has_text:
            yield opening
            for piece in c.text_chunks:
                yield {"content": piece}
            opening = {}
        for index, (call_id, call) in enumerate(c.tool_calls):
            # Each call opens with id + name and empty arguments; arguments then arrive in pieces.
            header = {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            yield {**opening, "tool_calls": [header]}
            opening = {}
            for piece in c.argument_chunks[index]:
                yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}

    def _chunk(self, c: _Completion, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": c.id,
            "object": "chat.completion.chunk",
            "created": c.created,
            "model": c.model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if c.include_usage:
            chunk["usage"] = None  # OpenAI sends an explicit null until the final usage chunk
        return chunk

    def _stream(self, c: _Completion) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", _new_id("req_"))
        try:
            self.end_headers()
            sent_pieces = 0
            for delta in self._deltas(c):
                if c.disconnect_after is not None and sent_pieces >= c.disconnect_after:
                    self._drop_connection()
                    return
                if sent_pieces and not self._pause(c.token_delay):
                    raise ConnectionResetError("client went away during the stream")
                self._send_event(self._chunk(c, delta, None))
                if "role" not in delta:
                    sent_pieces += 1
            self._send_event(self._chunk(c, {}, c.finish_reason))
            if c.include_usage:
                self._send_event(
                    {**self._chunk(c, {}, None), "choices": [], "usage": _usage(c.prompt_tokens, c.completion_tokens)}
                )
            self._send_sse(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")  # end of the chunked body; keep-alive continues
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
            if not self.fake.stopping.is_set():  # stop() cutting a stream is not a client cancel
                self.fake._stream_ended(cancelled=True)
            return
        self.fake._stream_ended(cancelled=False)

    def _send_event(self, payload: dict[str, Any]) -> None:
        self._send_sse(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _send_sse(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _pause(self, seconds: float) -> bool:
        """Sleep between chunks; False as soon as the client hangs up or the fake stops.

        Watching the socket (rather than waiting for a write to fail) notices a
        disconnect at once, even when the kernel would still accept a few writes.
        """
        deadline = time.monotonic() + seconds
        while True:
            if self.fake.stopping.is_set() or self._peer_closed(0):
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self._peer_closed(min(remaining, 0.05)):
                return False

    def _peer_closed(self, timeout: float) -> bool:
        readable, _, _ = select.select([self.connection], [], [], timeout)
        if not readable:
            return False
        try:
            # Clients do not pipeline, so a readable socket mid-response means EOF or reset.
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
        return peeked == b""

    def _drop_connection(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


FakeOpenAI.handler_class = _OpenAIHandler


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake OpenAI Chat Completions API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before the first byte")
    parser.add_argument("--token-delay-ms", type=float, default=0.0, help="delay between streamed chunks")
    parser.add_argument("--api-key", default=None, help="require this bearer token (default: any)")
    parser.add_argument("--record-limit", type=int, default=1000, help="requests kept for /_fake/requests")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(
        host=args.host,
        port=args.port,
        latency=args.latency_ms / 1000,
        token_delay=args.token_delay_ms / 1000,
        api_key=args.api_key,
        record_limit=args.record_limit,
    )
    fake.start()
    print(f"FakeOpenAI serving {fake.base_url} (Ctrl-C to stop)", flush=True)
    fake.serve_forever()


if __name__ == "__main__":
    main()
