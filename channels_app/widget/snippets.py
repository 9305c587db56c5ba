"""The HTML an organization pastes into its website to show an agent's chat."""

from __future__ import annotations

from html import escape

from channels_app.widget.models import WidgetKey
from channels_app.widget.script import widget_script, widget_script_url


def widget_snippet(*, widget_key: WidgetKey) -> str:
    """Script tag pinned to this exact file (versioned URL + Subresource Integrity), then the element.

    A plain string, not marked safe: templates show it as text (escaped) for copying.
    """
    language = widget_key.agent.language if widget_key.agent.language in ("es", "en") else "es"
    return (
        f'<script src="{escape(widget_script_url())}" integrity="{escape(widget_script().integrity)}" '
        'crossorigin="anonymous" defer></script>\n'
        f'<myagent-chat agent-key="{escape(widget_key.key)}" lang="{language}"></myagent-chat>'
    )
