"""Local fake servers for outside vendors, speaking their wire formats over real HTTP.

from tests.fakes import FakeOpenAI, FakeTwilio
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.openai_server import FakeOpenAI
    from tests.fakes.twilio_server import FakeTwilio

__all__ = ["FakeOpenAI", "FakeTwilio"]


def __getattr__(name: str) -> Any:
    # Imported lazily so `python -m tests.fakes.openai_server` does not find its own
    # module already imported by this package (runpy warns and runs a second copy).
    if name == "FakeOpenAI":
        from tests.fakes.openai_server import FakeOpenAI

        return FakeOpenAI
    if name == "FakeTwilio":
        from tests.fakes.twilio_server import FakeTwilio

        return FakeTwilio
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
