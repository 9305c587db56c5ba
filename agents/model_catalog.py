"""Which model strings an agent may use, and how they map to litellm.

`provider/model`: openai, anthropic, gemini, mistral (checked against litellm's offline
model map), `openai_compatible/<any name>` (needs a credential with a base URL) and the
offline `demo/assistant`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from agents.models import Provider

DEMO_MODEL = "demo/assistant"
SUGGESTED_MODELS = [
    DEMO_MODEL,
    "openai/gpt-4o-mini",
    "openai/gpt-4.1-mini",
    "openai/gpt-4o",
    "anthropic/claude-haiku-4-5",
    "anthropic/claude-sonnet-4-5",
    "gemini/gemini-2.5-flash",
    "gemini/gemini-2.5-flash-lite",
    "mistral/mistral-small-latest",
    "mistral/mistral-large-latest",
]


def provider_of(model: str) -> str:
    return model.split("/", 1)[0]


def model_error(model: str) -> str | None:
    """A user-facing reason why `model` can't be used, or None when it's fine."""
    import litellm

    if model == DEMO_MODEL:
        return None
    if "/" not in model:
        return _("Use the form provider/model, for example openai/gpt-4o-mini.")
    provider, name = model.split("/", 1)
    if not name.strip():
        return _("The model name is missing after the provider.")
    if provider not in Provider.values:
        return _("Unknown provider %(provider)s. Use one of: %(choices)s.") % {
            "provider": provider,
            "choices": ", ".join([*Provider.values, "demo"]),
        }
    if provider == Provider.OPENAI_COMPATIBLE:
        return None
    if name in litellm.model_cost or model in litellm.model_cost:
        return None
    return _("Unknown model %(model)s for %(provider)s.") % {"model": name, "provider": provider}


def litellm_model(model: str) -> str:
    """The model string litellm understands (OpenAI-compatible endpoints speak 'openai')."""
    provider, _sep, name = model.partition("/")
    return f"openai/{name}" if provider == Provider.OPENAI_COMPATIBLE else model
