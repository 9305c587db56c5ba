"""The BackOffice sidebar: one list, filtered by the viewer's role and by which pages exist.

Features register their pages under the `backoffice` URL namespace; an item whose URL
name does not resolve yet is skipped, so the sidebar grows as features land without
anyone touching this file twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role

NAMESPACE = "backoffice"


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Promise
    icon: str  # a template under templates/icons/<icon>.svg
    least_role: str = Role.MEMBER
    section: Promise | None = None
    description: Promise | None = None


@dataclass(frozen=True)
class ResolvedNavItem:
    item: NavItem
    url: str
    is_active: bool

    @property
    def label(self) -> Promise:
        return self.item.label

    @property
    def icon(self) -> str:
        return self.item.icon

    @property
    def url_name(self) -> str:
        return self.item.url_name

    @property
    def description(self) -> Promise | None:
        return self.item.description


@dataclass(frozen=True)
class NavSection:
    title: Promise | None
    items: list[ResolvedNavItem]


WORKSPACE = _("Workspace")
CHANNELS = _("Channels")
ORGANIZATION = _("Organization")

NAVIGATION: list[NavItem] = [
    NavItem("home", _("Home"), "home", section=WORKSPACE, description=_("Your organization at a glance.")),
    NavItem(
        "agent_list",
        _("Agents"),
        "bot",
        section=WORKSPACE,
        description=_("Create and train the AI agents that talk to your customers."),
    ),
    NavItem(
        "conversation_list",
        _("Conversations"),
        "chat",
        section=WORKSPACE,
        description=_("Read what your agents and customers are saying."),
    ),
    NavItem(
        "analytics",
        _("Analytics"),
        "chart",
        section=WORKSPACE,
        description=_("See volumes, response times and outcomes."),
    ),
    NavItem(
        "channel_list",
        _("Channels"),
        "plug",
        Role.ADMIN,
        CHANNELS,
        _("Connect WhatsApp, SMS and other channels."),
    ),
    NavItem(
        "call_list",
        _("Calls"),
        "phone",
        section=CHANNELS,
        description=_("Phone calls answered by your agents, with per-turn latency."),
    ),
    NavItem(
        "widget_list",
        _("Web widgets"),
        "window",
        Role.ADMIN,
        CHANNELS,
        _("Put a chat widget on your website."),
    ),
    NavItem(
        "widget_session_list",
        _("Widget sessions"),
        "users",
        section=CHANNELS,
        description=_("Visitors who chatted through your website widget."),
    ),
    NavItem(
        "credential_list",
        _("Provider keys"),
        "key",
        Role.ADMIN,
        ORGANIZATION,
        _("Your OpenAI, Anthropic, Gemini or Mistral keys for your agents."),
    ),
    NavItem(
        "member_list",
        _("Members"),
        "team",
        Role.ADMIN,
        ORGANIZATION,
        _("Invite your team and choose what each person can do."),
    ),
    NavItem(
        "api_key_list",
        _("API keys"),
        "key",
        Role.ADMIN,
        ORGANIZATION,
        _("Connect your own systems to MyAgent."),
    ),
    NavItem(
        "billing",
        _("Billing"),
        "card",
        Role.OWNER,
        ORGANIZATION,
        _("Your plan, balance and invoices."),
    ),
    NavItem(
        "organization_settings",
        _("Organization settings"),
        "building",
        Role.ADMIN,
        ORGANIZATION,
        _("Rename or delete this organization."),
    ),
    NavItem(
        "account_settings",
        _("Account settings"),
        "user",
        section=ORGANIZATION,
        description=_("Your name, language and security."),
    ),
]


def _reverse(url_name: str) -> str | None:
    try:
        return reverse(f"{NAMESPACE}:{url_name}")
    except NoReverseMatch:
        return None


def navigation_for(*, membership: Membership | None, path: str) -> list[ResolvedNavItem]:
    """The items `membership` may open, with the one that best matches `path` marked active.

    Active means "the longest item URL that `path` starts with", so detail pages under
    /app/agents/… keep "Agents" highlighted; the home URL only matches itself.
    """
    if membership is None:
        return []
    resolved: list[ResolvedNavItem] = []
    for item in NAVIGATION:
        if not membership.has_role(item.least_role):
            continue
        url = _reverse(item.url_name)
        if url is not None:
            resolved.append(ResolvedNavItem(item=item, url=url, is_active=False))
    home_url = _reverse("home")
    candidates = [
        entry for entry in resolved if path == entry.url or (entry.url != home_url and path.startswith(entry.url))
    ]
    if candidates:
        active = max(candidates, key=lambda entry: len(entry.url))
        resolved = [ResolvedNavItem(item=entry.item, url=entry.url, is_active=entry is active) for entry in resolved]
    return resolved


def navigation_sections(items: list[ResolvedNavItem]) -> list[NavSection]:
    """Group consecutive items by section, keeping NAVIGATION's order."""
    sections: list[NavSection] = []
    for entry in items:
        if sections and sections[-1].title is entry.item.section:
            sections[-1].items.append(entry)
        else:
            sections.append(NavSection(title=entry.item.section, items=[entry]))
    return sections
