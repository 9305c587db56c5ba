"""Objects for the global tenant-isolation matrix (tests/test_tenant_isolation.py):
API url-name prefix → factory building an object owned by the given tenant."""

from __future__ import annotations

from typing import Any

from tests.agents.factories import published_agent
from tests.channels_app.factories import channel_connection, twilio_account


def _twilio_account(tenant: Any) -> Any:
    return twilio_account(tenant.organization)


def _channel_connection(tenant: Any) -> Any:
    agent = published_agent(tenant.organization, name="Victim line")
    return channel_connection(tenant.organization, agent=agent, twilio_account=twilio_account(tenant.organization))


OBJECTS = {
    "twilio-account": _twilio_account,
    "channel-connection": _channel_connection,
}

try:
    from tests.channels_app.isolation_widget import OBJECTS as WIDGET_OBJECTS

    OBJECTS.update(WIDGET_OBJECTS)
except ImportError:  # pragma: no cover - widget routes not present
    pass
