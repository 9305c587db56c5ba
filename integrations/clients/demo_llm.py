"""The offline demo model (`demo/assistant`), a litellm custom provider.

It lets `make run` work with no provider key: deterministic, streams word by word,
reports usage, and costs nothing. The UI labels agents on it as "demo".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from litellm import CustomLLM, ModelResponse
from litellm.types.utils import GenericStreamingChunk

TOKEN_DELAY_SECONDS = 0.02

_REPLIES = {
    "es": (
        "¡Hola! Soy un agente de demostración de MyAgent funcionando sin conexión. "
        "Has dicho: «{user}». Configura una clave de OpenAI, Anthropic, Gemini o Mistral "
        "para obtener respuestas reales."
    ),
    "en": (
        "Hi! I am a MyAgent demo agent running offline. You said: “{user}”. "
        "Add an OpenAI, Anthropic, Gemini or Mistral key to get real answers."
    ),
}


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def demo_reply(messages: list[dict[str, Any]]) -> str:
    last_user = next((_text_of(m) for m in reversed(messages) if m.get("role") == "user"), "")
    system = " ".join(_text_of(m) for m in messages if m.get("role") == "system").lower()
    language = "en" if "reply in english" in system else "es"
    return _REPLIES[language].format(user=last_user.strip()[:200])


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [word + (" " if i < len(words) - 1 else "") for i, word in enumerate(words)]


def _usage(messages: list[dict[str, Any]], reply: str) -> dict[str, int]:
    prompt = sum(len(_text_of(m).split()) for m in messages)
    completion = len(reply.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _chunk(text: str, *, finished: bool, usage: dict[str, int] | None = None) -> GenericStreamingChunk:
    return {
        "text": text,
        "tool_use": None,
        "is_finished": finished,
        "finish_reason": "stop" if finished else "",
        "usage": usage,  # type: ignore[typeddict-item]
        "index": 0,
    }


class DemoLLM(CustomLLM):
    def _response(self, messages: list[dict[str, Any]], model_response: ModelResponse) -> ModelResponse:
        reply = demo_reply(messages)
        model_response.choices[0].message.content = reply  # type: ignore[union-attr]
        model_response.choices[0].finish_reason = "stop"
        usage = _usage(messages, reply)
        model_response.usage = usage  # type: ignore[attr-defined]
        model_response.model = "demo/assistant"
        return model_response

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self._response(kwargs["messages"], kwargs["model_response"])

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self._response(kwargs["messages"], kwargs["model_response"])

    def streaming(self, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        messages = kwargs["messages"]
        reply = demo_reply(messages)
        for word in _words(reply):
            time.sleep(TOKEN_DELAY_SECONDS)
            yield _chunk(word, finished=False)
        yield _chunk("", finished=True, usage=_usage(messages, reply))

    async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[GenericStreamingChunk]:  # type: ignore[override]
        messages = kwargs["messages"]
        reply = demo_reply(messages)
        for word in _words(reply):
            await asyncio.sleep(TOKEN_DELAY_SECONDS)
            yield _chunk(word, finished=False)
        yield _chunk("", finished=True, usage=_usage(messages, reply))
