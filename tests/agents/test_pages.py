"""Agent BackOffice pages as people use them: list, create/edit with validation, publish,
version history and rollback, roles, and tenant isolation."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from agents.models import Agent, AgentVersion
from agents.services.agents import agent_publish, agent_update
from tests.accounts.factories import MembershipFactory
from tests.agents.factories import fake_llm_agent, fake_llm_credential, published_agent

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    """Signed in and reading English, so assertions don't depend on the Spanish catalog."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def member_of(tenant, role=Role.MEMBER):
    return MembershipFactory(organization=tenant.organization, role=role).user


def field_block(html: str, name: str) -> str:
    """The `.field` wrapper that holds the input named `name` (label, input, errors)."""
    for block in re.split(r'(?=<div class="field[ "])', html):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field {name!r} on the page")


def agent_form_data(**overrides):
    data = {
        "name": "Reservas",
        "description": "Takes table bookings",
        "model": "demo/assistant",
        "fallback_models": "",
        "credential": "",
        "instructions": "You take table bookings for Café Sol.",
        "temperature": "0.4",
        "max_output_tokens": "400",
        "greeting": "¡Hola! ¿Para cuántas personas?",
        "language": "es",
        "memory_window": "12",
        "handoff_phone_number": "",
    }
    data.update(overrides)
    return data


def api_published_version(tenant, agent):
    return tenant.client.get(f"/api/v1/agents/{agent.pk}/").json()["published_version"]


class TestAgentList:
    def test_lists_the_organizations_agents_with_status_and_a_demo_label(self, client, tenant, other_tenant):
        published_agent(tenant.organization, name="Recepción", model="demo/assistant")
        published_agent(tenant.organization, name="Borrador", publish=False)
        published_agent(other_tenant.organization, name="Agente ajeno")

        response = signed_in(client, tenant.owner).get(reverse("backoffice:agent_list"))

        html = response.content.decode()
        assert response.status_code == 200
        assert "Recepción" in html
        assert "Borrador" in html
        assert "Agente ajeno" not in html
        assert "v1" in html
        assert 'class="badge badge-demo"' in html
        assert reverse("backoffice:agent_create") in html

    def test_members_see_agents_but_no_create_button(self, client, tenant):
        published_agent(tenant.organization, name="Recepción")

        html = signed_in(client, member_of(tenant)).get(reverse("backoffice:agent_list")).content.decode()

        assert "Recepción" in html
        assert reverse("backoffice:agent_create") not in html

    def test_empty_state_invites_admins_to_create_the_first_agent(self, client, tenant):
        html = signed_in(client, tenant.owner).get(reverse("backoffice:agent_list")).content.decode()

        assert "Create your first agent" in html


class TestAgentCreate:
    def test_creates_a_draft_and_opens_it(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_create"),
            agent_form_data(tools=["current_datetime"], fallback_models="openai/gpt-4o-mini\nopenai/gpt-4o"),
        )

        agent = tenant.organization.agents.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("backoffice:agent_detail", kwargs={"agent_id": agent.pk})
        assert agent.name == "Reservas"
        assert agent.tools == ["current_datetime"]
        assert agent.fallback_models == ["openai/gpt-4o-mini", "openai/gpt-4o"]
        assert agent.temperature == 0.4
        assert agent.published_version_id is None
        page = client.get(response["Location"]).content.decode()
        assert "Draft · not published yet" in page

    def test_invalid_input_is_shown_next_to_each_field_and_nothing_is_saved(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_create"),
            agent_form_data(instructions="   ", model="openai/gpt-does-not-exist", temperature="5"),
        )

        assert response.status_code == 400
        html = response.content.decode()
        assert "This field is required." in field_block(html, "instructions")
        assert "Unknown model gpt-does-not-exist" in field_block(html, "model")
        assert "Temperature must be between 0 and 2." in field_block(html, "temperature")
        assert "has-error" not in field_block(html, "name")
        assert 'value="Reservas"' in html  # what the person typed is kept
        assert not tenant.organization.agents.exists()

    def test_model_without_provider_and_bad_phone_number_are_explained(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_create"), agent_form_data(model="gpt-4o", handoff_phone_number="600 11 22")
        )

        html = response.content.decode()
        assert response.status_code == 400
        assert "provider/model" in field_block(html, "model")
        assert "international format" in field_block(html, "handoff_phone_number")

    def test_another_organizations_credential_cannot_be_chosen(self, client, tenant, other_tenant, fake_openai):
        foreign = fake_llm_credential(other_tenant.organization, fake_openai.base_url)

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_create"), agent_form_data(credential=str(foreign.pk))
        )

        assert response.status_code == 400
        assert "has-error" in field_block(response.content.decode(), "credential")
        assert not tenant.organization.agents.exists()

    def test_model_field_suggests_catalog_models_and_the_organizations_providers(self, client, tenant, fake_openai):
        fake_llm_agent(tenant.organization, fake_openai.base_url)

        html = signed_in(client, tenant.owner).get(reverse("backoffice:agent_create")).content.decode()

        assert 'list="model-suggestions"' in html
        assert '<option value="demo/assistant"' in html
        assert '<option value="openai/gpt-4o-mini"' in html
        assert '<option value="openai_compatible/"' in html


class TestAgentEdit:
    def test_saving_changes_the_draft_only_and_flags_unpublished_changes(self, client, tenant):
        agent = published_agent(tenant.organization, instructions="Old instructions.")
        signed_in(client, tenant.owner)

        response = client.post(
            reverse("backoffice:agent_edit", kwargs={"agent_id": agent.pk}),
            agent_form_data(name=agent.name, instructions="New instructions."),
        )

        assert response.status_code == 302
        agent.refresh_from_db()
        assert agent.instructions == "New instructions."
        assert agent.published_version.snapshot["instructions"] == "Old instructions."
        html = client.get(reverse("backoffice:agent_detail", kwargs={"agent_id": agent.pk})).content.decode()
        assert 'data-status="unpublished-changes"' in html
        assert "New instructions." in html

    def test_a_published_agent_with_no_edits_has_no_unpublished_changes_badge(self, client, tenant):
        agent = published_agent(tenant.organization)

        html = signed_in(client, tenant.owner).get(reverse("backoffice:agent_detail", kwargs={"agent_id": agent.pk}))

        assert 'data-status="published"' in html.content.decode()
        assert 'data-status="unpublished-changes"' not in html.content.decode()

    def test_validation_errors_on_edit_keep_the_stored_draft(self, client, tenant):
        agent = published_agent(tenant.organization, instructions="Keep me.")

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_edit", kwargs={"agent_id": agent.pk}),
            agent_form_data(temperature="5", instructions="Changed"),
        )

        assert response.status_code == 400
        assert "Temperature must be between 0 and 2." in field_block(response.content.decode(), "temperature")
        agent.refresh_from_db()
        assert agent.instructions == "Keep me."


class TestPublishAndRollback:
    def test_publish_creates_version_1_and_channels_serve_it(self, client, tenant):
        agent = published_agent(tenant.organization, publish=False)
        assert api_published_version(tenant, agent) is None

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_publish", kwargs={"agent_id": agent.pk}), {"note": "First go-live"}
        )

        assert response.status_code == 302
        assert response["Location"] == reverse("backoffice:agent_versions", kwargs={"agent_id": agent.pk})
        version = agent.versions.get()
        assert (version.number, version.note, version.created_by) == (1, "First go-live", tenant.owner)
        assert api_published_version(tenant, agent) == 1
        html = client.get(response["Location"]).content.decode()
        assert "First go-live" in html
        assert "data-serving" in html
        assert tenant.owner.get_full_name() in html

    def test_publishing_again_moves_channels_to_the_new_version(self, client, tenant):
        agent = published_agent(tenant.organization)
        agent_update(organization=tenant.organization, agent=agent, instructions="Second edition.")

        signed_in(client, tenant.owner).post(reverse("backoffice:agent_publish", kwargs={"agent_id": agent.pk}))

        assert api_published_version(tenant, agent) == 2
        html = client.get(reverse("backoffice:agent_detail", kwargs={"agent_id": agent.pk})).content.decode()
        assert 'data-status="unpublished-changes"' not in html

    def test_rollback_over_htmx_serves_the_old_version_and_resets_the_draft(self, client, tenant):
        agent = published_agent(tenant.organization, instructions="Version one.")
        agent_update(organization=tenant.organization, agent=agent, instructions="Version two.")
        agent_publish(organization=tenant.organization, agent=agent)
        first = agent.versions.get(number=1)
        signed_in(client, tenant.owner)
        versions_page = client.get(reverse("backoffice:agent_versions", kwargs={"agent_id": agent.pk})).content.decode()
        assert 'hx-confirm="' in versions_page
        assert reverse("backoffice:agent_rollback", args=[agent.pk]) in versions_page

        response = client.post(
            reverse("backoffice:agent_rollback", kwargs={"agent_id": agent.pk}),
            {"version": str(first.pk)},
            HTTP_HX_REQUEST="true",
        )

        assert response.status_code == 200
        html = response.content.decode()
        serving_row = re.search(r'<tr id="version-(\d+)" class="is-serving"', html)
        assert serving_row
        assert serving_row.group(1) == "1"
        assert 'id="agent-status" hx-swap-oob="true"' in html
        assert '<span class="tab-count" id="serving-count" hx-swap-oob="true">v1</span>' in html
        assert api_published_version(tenant, agent) == 1
        agent.refresh_from_db()
        assert agent.instructions == "Version one."

    def test_rollback_to_another_agents_version_is_not_found(self, client, tenant, other_tenant):
        agent = published_agent(tenant.organization)
        foreign_version = published_agent(other_tenant.organization).published_version

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_rollback", kwargs={"agent_id": agent.pk}), {"version": str(foreign_version.pk)}
        )

        assert response.status_code == 404
        assert AgentVersion.unscoped.filter(organization=other_tenant.organization).count() == 1

    def test_delete_removes_the_agent(self, client, tenant):
        agent = published_agent(tenant.organization)

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:agent_delete", kwargs={"agent_id": agent.pk}), HTTP_HX_REQUEST="true"
        )

        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("backoffice:agent_list")
        assert not Agent.unscoped.filter(pk=agent.pk).exists()


class TestRoles:
    @pytest.mark.parametrize(
        ("url_name", "data"),
        [
            ("agent_edit", agent_form_data()),
            ("agent_publish", {"note": "sneaky"}),
            ("agent_rollback", {"version": "000000000000000000000000"}),
            ("agent_delete", {}),
        ],
    )
    def test_members_cannot_change_agents(self, client, tenant, url_name, data):
        agent = published_agent(tenant.organization, instructions="Untouched.")

        response = signed_in(client, member_of(tenant)).post(
            reverse(f"backoffice:{url_name}", kwargs={"agent_id": agent.pk}), data
        )

        assert response.status_code == 403
        agent.refresh_from_db()
        assert agent.instructions == "Untouched."
        assert agent.versions.count() == 1

    def test_members_cannot_open_the_create_page(self, client, tenant):
        response = signed_in(client, member_of(tenant)).get(reverse("backoffice:agent_create"))

        assert response.status_code == 403

    def test_members_see_the_settings_read_only(self, client, tenant):
        agent = published_agent(tenant.organization)

        html = (
            signed_in(client, member_of(tenant))
            .get(reverse("backoffice:agent_detail", kwargs={"agent_id": agent.pk}))
            .content.decode()
        )

        assert '<fieldset class="plain" disabled>' in html
        assert reverse("backoffice:agent_publish", kwargs={"agent_id": agent.pk}) not in html
        assert reverse("backoffice:agent_delete", kwargs={"agent_id": agent.pk}) not in html
        assert reverse("backoffice:agent_playground", kwargs={"agent_id": agent.pk}) in html


# Every page route that takes an agent id, with the method it answers.
AGENT_ROUTES = [
    ("agent_detail", "get"),
    ("agent_edit", "post"),
    ("agent_versions", "get"),
    ("agent_publish", "post"),
    ("agent_rollback", "post"),
    ("agent_delete", "post"),
    ("agent_playground", "get"),
    ("agent_playground_stream", "post"),
]


class TestTenantIsolation:
    @pytest.mark.parametrize(("url_name", "method"), AGENT_ROUTES)
    def test_another_tenants_agent_is_not_found(self, client, tenant, other_tenant, url_name, method):
        foreign = published_agent(other_tenant.organization, name="Ajeno", instructions="Private.")
        url = reverse(f"backoffice:{url_name}", kwargs={"agent_id": foreign.pk})

        response = getattr(signed_in(client, tenant.owner), method)(url, {"message": "hola", "version": "x"})

        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.instructions == "Private."
        assert foreign.versions.count() == 1

    @pytest.mark.parametrize("bad_id", ["not-an-id", "000000000000000000000000"])
    def test_malformed_and_unknown_ids_are_not_found(self, client, tenant, bad_id):
        response = signed_in(client, tenant.owner).get(reverse("backoffice:agent_detail", kwargs={"agent_id": bad_id}))

        assert response.status_code == 404
