"""How an agent's editable draft compares with the version its channels serve."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.models import SNAPSHOT_FIELDS, Agent


@dataclass(frozen=True)
class DraftStatus:
    published_number: int | None
    changed_fields: list[str] = field(default_factory=list)

    @property
    def is_published(self) -> bool:
        return self.published_number is not None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.is_published and bool(self.changed_fields)


def agent_draft_status(*, agent: Agent) -> DraftStatus:
    """Which snapshot fields (and the provider key) differ between the draft and the
    published version. Reads `agent.published_version`, so select_related it in lists."""
    version = agent.published_version
    if version is None:
        return DraftStatus(published_number=None)
    snapshot = version.snapshot or {}
    changed = [name for name in SNAPSHOT_FIELDS if snapshot.get(name) != getattr(agent, name)]
    if str(agent.credential_id or "") != (version.credential_id_snapshot or ""):
        changed.append("credential")
    return DraftStatus(published_number=version.number, changed_fields=changed)
