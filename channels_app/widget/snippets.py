"""The HTML an organization pastes into its website to show an agent's chat."""

from __future__ import annotations

from django.utils.html import format_html

from channels_app.widget.models import WidgetKey
from channels_app.widget.script import widget_script, widget_script_url


def widget_snippet(*, widget_key: WidgetKey) -> str:
    """Script tag pinned to this exact file (versioned URL + Subresource Integrity), then the element."""
    language = widget_key.agent.language if widget_key.agent.language in ("es", "en") else "es"
    return str(
        format_html(
            '<script src="{}" integrity="{}" crossorigin="anonymous" defer></script>\n'
            '<myagent-chat agent-key="{}" lang="{}"></myagent-chat>',
            widget_script_url(),
            widget_script().integrity,
            widget_key.key,
            language,
        )
    )
