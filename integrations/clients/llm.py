"""The one module that talks to LLM providers (through litellm).

Every call runs on one long-lived event loop per process (the "engine loop", a daemon
thread). litellm caches its HTTP clients per event loop, so pinning every call to the
same loop is what makes provider connections actually get reused, whether the caller
is daphne's loop, a Celery task or a sync view. Async callers get the stream bridged
back to their own loop; cancelling the caller cancels the provider request.

Fallback models go through litellm's Router; prices come from litellm's offline map or
our own table for models it does not know.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from litellm import Router

from integrations.clients.demo_llm import DemoLLM

litellm.suppress_debug_info = True
litellm.set_verbose = False
litellm.telemetry = False
litellm.drop_params = True  # e.g. temperature on models that reject it
litellm.custom_provider_map = [{"provider": "demo", "custom_handler": DemoLLM()}]

T = TypeVar("T")

# USD per 1M tokens (input, output) for models litellm's offline map does not price.
EXTRA_PRICES_PER_MILLION: dict[str, tuple[Decimal, Decimal]] = {
    "demo/assistant": (Decimal(0), Decimal(0)),
}


class LLMError(Exception):
    """A provider failed (after fallbacks). `kind` is a stable, user-safe category."""

    def __init__(self, kind: str, detail: str):
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


@dataclass(frozen=True)
class LLMTarget:
    model: str
    api_key: str | None = None
    api_base: str | None = None

    def __repr__(self) -> str:  # never print keys
        return f"LLMTarget(model={self.model!r}, api_base={self.api_base!r})"


@dataclass
class ChatRequest:
    targets: list[LLMTarget]  # primary first, then fallbacks
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float = 30.0


@dataclass
class LLMEvent:
    """One item of a streamed reply: a text delta, or the final summary (`done`)."""

    text: str = ""
    done: bool = False
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""
    cost: Decimal = Decimal(0)


# --- the engine loop ---------------------------------------------------------------------

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()
_loop_pid: int | None = None


def engine_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _loop_lock:
        # A forked Celery child inherits the module but not the thread: start its own.
        if _loop is None or _loop_pid != os.getpid():
            _loop = asyncio.new_event_loop()
            _loop_pid = os.getpid()
            threading.Thread(target=_loop.run_forever, name="llm-engine-loop", daemon=True).start()
        return _loop


def run_in_engine(coro: Coroutine[Any, Any, T]) -> Future[T]:
    return asyncio.run_coroutine_threadsafe(coro, engine_loop())


# --- routing and cost ---------------------------------------------------------------------

_ROUTER_CACHE_SIZE = 256
_routers: OrderedDict[tuple[Any, ...], Router] = OrderedDict()


def _litellm_params(target: LLMTarget, timeout: float) -> dict[str, Any]:
    params: dict[str, Any] = {"model": target.model, "timeout": timeout, "stream_timeout": timeout, "max_retries": 0}
    if target.api_key:
        params["api_key"] = target.api_key
    if target.api_base:
        params["api_base"] = target.api_base
    return params


def _router_for(targets: list[LLMTarget], timeout: float) -> Router:
    # Routers are built once per distinct configuration and reused (LRU): building one per
    # message would throw away litellm's client cache and the pooled connections with it.
    key = (tuple(targets), timeout)
    router = _routers.get(key)
    if router is not None:
        _routers.move_to_end(key)
        return router
    model_list = [
        {
            "model_name": f"target-{i}",
            "litellm_params": _litellm_params(t, timeout),
            "model_info": {"id": f"target-{i}"},
        }
        for i, t in enumerate(targets)
    ]
    fallbacks = [{"target-0": [f"target-{i}" for i in range(1, len(targets))]}] if len(targets) > 1 else []
    # No cooldowns: fallbacks are explicit, and one 401/429 must not block a model for
    # every other conversation of the organization for the next seconds.
    router = Router(
        model_list=model_list,
        fallbacks=fallbacks,
        num_retries=0,
        timeout=timeout,
        set_verbose=False,
        disable_cooldowns=True,
    )
    _routers[key] = router
    if len(_routers) > _ROUTER_CACHE_SIZE:
        _routers.popitem(last=False)
    return router


def cost_of(model: str, prompt_tokens: int, completion_tokens: int) -> Decimal:
    if model in EXTRA_PRICES_PER_MILLION:
        price_in, price_out = EXTRA_PRICES_PER_MILLION[model]
        return (price_in * prompt_tokens + price_out * completion_tokens) / Decimal(1_000_000)
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
    except Exception:  # noqa: BLE001 - unknown model: price unknown, recorded as zero
        return Decimal(0)
    return Decimal(str(prompt_cost)) + Decimal(str(completion_cost))


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError | litellm.Timeout):
        return "timeout"
    if isinstance(exc, litellm.RateLimitError):
        return "rate_limited"
    if isinstance(exc, litellm.AuthenticationError):
        return "authentication"
    if isinstance(exc, litellm.BadRequestError | litellm.NotFoundError):
        return "bad_request"
    return "provider_error"


# --- streaming ---------------------------------------------------------------------------


class _ToolCallAccumulator:
    def __init__(self) -> None:
        self.calls: dict[int, dict[str, Any]] = {}

    def add(self, deltas: list[Any]) -> None:
        for delta in deltas:
            index = getattr(delta, "index", None) or 0
            call = self.calls.setdefault(
                index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
            )
            if getattr(delta, "id", None):
                call["id"] = delta.id
            function = getattr(delta, "function", None)
            if function is not None:
                if getattr(function, "name", None):
                    call["function"]["name"] = function.name
                if getattr(function, "arguments", None):
                    call["function"]["arguments"] += function.arguments

    def result(self) -> list[dict[str, Any]]:
        return [self.calls[i] for i in sorted(self.calls)]


async def _produce(request: ChatRequest, emit: Any) -> None:
    """Runs on the engine loop: streams from the provider and emits LLMEvents."""
    router = _router_for(request.targets, request.timeout)
    kwargs: dict[str, Any] = {"stream": True, "stream_options": {"include_usage": True}}
    if request.tools:
        kwargs["tools"] = request.tools
    if request.temperature is not None:
        kwargs["temperature"] = request.temperature
    if request.max_tokens:
        kwargs["max_tokens"] = request.max_tokens
    try:
        async with asyncio.timeout(request.timeout):
            stream = await router.acompletion(model="target-0", messages=request.messages, **kwargs)  # type: ignore[arg-type]
    except Exception as exc:
        raise LLMError(_error_kind(exc), str(exc)[:500]) from exc

    model_id = (getattr(stream, "_hidden_params", None) or {}).get("model_id") or "target-0"
    target = (
        request.targets[int(str(model_id).rsplit("-", 1)[-1])]
        if str(model_id).startswith("target-")
        else request.targets[0]
    )
    tools = _ToolCallAccumulator()
    prompt_tokens = completion_tokens = 0
    streamed_text: list[str] = []
    try:
        async with asyncio.timeout(request.timeout):
            async for chunk in stream:
                usage = getattr(chunk, "usage", None)
                if usage:
                    prompt_tokens = usage.prompt_tokens or prompt_tokens
                    completion_tokens = usage.completion_tokens or completion_tokens
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                if getattr(delta, "tool_calls", None):
                    tools.add(list(delta.tool_calls or []))
                if delta.content:
                    streamed_text.append(delta.content)
                    emit(LLMEvent(text=delta.content))
    except Exception as exc:
        raise LLMError(_error_kind(exc), str(exc)[:500]) from exc
    finally:
        with contextlib.suppress(Exception):
            await stream.aclose()  # type: ignore[attr-defined]
    emit(
        LLMEvent(
            done=True,
            tool_calls=tools.result(),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            model=target.model,
            cost=cost_of(target.model, prompt_tokens, completion_tokens),
        )
    )


_END = object()


async def stream_chat(request: ChatRequest) -> AsyncIterator[LLMEvent]:
    """Stream a chat completion. Yields text deltas, then one `done` event with usage,
    tool calls and cost. Raises LLMError when every target failed."""
    caller_loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def emit(item: Any) -> None:
        caller_loop.call_soon_threadsafe(queue.put_nowait, item)

    async def producer() -> None:
        try:
            await _produce(request, emit)
        except BaseException as exc:  # noqa: BLE001 - forwarded to the consumer
            emit(exc)
        finally:
            emit(_END)

    future = run_in_engine(producer())
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                if isinstance(item, asyncio.CancelledError):
                    raise LLMError("cancelled", "generation cancelled")
                raise item
            yield item
    finally:
        if not future.done():
            future.cancel()  # caller went away (interrupt, disconnect): stop the provider stream


def warm_up() -> None:
    """Pay litellm's first-call costs (lazy imports, provider setup) at process start
    instead of on the first customer's reply. Fire-and-forget on the engine loop."""

    async def _once() -> None:
        request = ChatRequest(targets=[LLMTarget("demo/assistant")], messages=[{"role": "user", "content": "hola"}])
        with contextlib.suppress(Exception):
            await _produce(request, lambda _event: None)
        import litellm.llms.openai.openai  # noqa: F401 - the provider most agents use

    run_in_engine(_once())
