"""Tools an agent may call. Each returns text for the model; results are untrusted data.

Built-ins live here. Tenant tools (HTTP tools, MCP tools: `integrations.tools`) are
found through resolvers registered with `register_resolver()`; `agent_tools()` is what
the engine calls to get every tool an agent version may use. A tool never raises into
the engine: failures become a result string.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass
class ToolContext:
    organization_id: str
    conversation_id: str
    agent_version_snapshot: dict[str, Any]
    # Who the agent is talking to, from the conversation (never from the model's arguments):
    # tools inject these server-side, e.g. `{{contact.phone}}` in an HTTP tool's template.
    channel: str = ""
    contact_id: str = ""
    contact_external_id: str = ""
    contact_name: str = ""
    # True when the channel proved who the person is (phone number, HMAC widget identity,
    # API caller); `write` tools run only then.
    identity_verified: bool = False
    # Side effects the channel must act on (e.g. a voice call hand-off), set by tools.
    signals: dict[str, Any] = field(default_factory=dict)


ToolHandler = Callable[[ToolContext, dict[str, Any]], Awaitable[str]]


@dataclass(frozen=True)
class Tool:
    name: str
    label: Any
    description: str
    parameters: dict[str, Any]
    handler: ToolHandler
    # Slow tools get a holding message (messaging) or a filler sentence (voice) first.
    slow: bool = False

    def schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


_REGISTRY: dict[str, Tool] = {}


def register(tool: Tool) -> Tool:
    _REGISTRY[tool.name] = tool
    return tool


def get_tool(name: str) -> Tool | None:
    return _REGISTRY.get(name)


def available_tools() -> list[Tool]:
    return list(_REGISTRY.values())


# A resolver turns the names in an agent's `tools` list that are not built-ins (tenant
# tool ids) into Tools for that organization; unknown names are left out.
ToolResolver = Callable[[str, list[str]], list[Tool]]
_RESOLVERS: list[ToolResolver] = []


def register_resolver(resolver: ToolResolver) -> ToolResolver:
    _RESOLVERS.append(resolver)
    return resolver


def agent_tools(*, organization_id: str, names: list[str]) -> list[Tool]:
    """Every tool an agent version lists, built-ins first. Sync (resolvers may query the
    database): call it off the event loop."""
    tools = [tool for name in names if (tool := _REGISTRY.get(name))]
    others = [name for name in names if name not in _REGISTRY]
    if others:
        for resolver in _RESOLVERS:
            tools += resolver(organization_id, others)
    return tools


async def _current_datetime(context: ToolContext, arguments: dict[str, Any]) -> str:
    zone_name = str(arguments.get("timezone") or "Europe/Madrid")
    try:
        zone = ZoneInfo(zone_name)
    except (KeyError, ValueError):
        return f"Unknown timezone {zone_name!r}."
    now = timezone.now().astimezone(zone)
    return now.strftime(f"%Y-%m-%d %H:%M ({zone_name}, %A)")


async def _handoff_to_human(context: ToolContext, arguments: dict[str, Any]) -> str:
    context.signals["handoff"] = {"reason": str(arguments.get("reason", ""))[:300]}
    return "A human colleague has been asked to take over. Tell the user briefly that you are transferring them."


register(
    Tool(
        name="current_datetime",
        label=_("Current date and time"),
        description="Get the current date, time and weekday in a timezone (default Europe/Madrid).",
        parameters={
            "type": "object",
            "properties": {"timezone": {"type": "string", "description": "IANA timezone, e.g. Europe/Madrid"}},
        },
        handler=_current_datetime,
    )
)
register(
    Tool(
        name="handoff_to_human",
        label=_("Hand off to a human"),
        description="Transfer the conversation to a human member of staff when the user asks for a person "
        "or when you cannot help.",
        parameters={
            "type": "object",
            "properties": {"reason": {"type": "string", "description": "Why a human is needed"}},
            "required": ["reason"],
        },
        handler=_handoff_to_human,
    )
)
