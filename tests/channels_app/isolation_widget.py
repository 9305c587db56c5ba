"""Web component objects for the tenant isolation matrix (tests/test_tenant_isolation.py):
URL-name prefix in the `api` namespace → factory of an object owned by the given tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.channels_app.widget_factories import start_session, widget_key


def _widget_key(tenant: Any) -> Any:
    return widget_key(tenant.organization, name="Victim widget")


def _widget_session(tenant: Any) -> Any:
    return start_session(widget_key(tenant.organization, name="Victim widget")).session


OBJECTS: dict[str, Callable[[Any], Any]] = {
    "widget-key": _widget_key,
    "widget-session": _widget_session,
}
