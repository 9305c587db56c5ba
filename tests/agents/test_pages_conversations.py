"""Conversations (list with filters, detail with per-reply timings) and provider keys."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from agents.models import Channel, Conversation, Message, ProviderCredential
from agents.services.conversations import (
    contact_get_or_create,
    conversation_open,
    conversation_reply,
    message_mark_sent,
    message_receive,
)
from agents.services.credentials import provider_credential_create
from tests.agents.factories import fake_llm_agent, published_agent
from tests.agents.test_pages import member_of, signed_in

pytestmark = pytest.mark.django_db

RAW_KEY = "sk-proj-SuperSecretValue-0123456789abcdef"


def conversation_with(tenant, agent, *, channel=Channel.WHATSAPP, contact="+34600111222", text="hola", reply=True):
    organization = tenant.organization
    person = contact_get_or_create(organization=organization, channel=channel, external_id=contact)
    conversation = conversation_open(organization=organization, agent=agent, channel=channel, contact=person)
    inbound = message_receive(organization=organization, conversation=conversation, text=text)
    if reply:
        answer, _signals = conversation_reply(
            organization=organization, conversation=conversation, user_message=inbound
        )
        message_mark_sent(organization=organization, message=answer, delivery_status="delivered")
    return conversation


class TestConversationList:
    def test_members_see_the_organizations_conversations(self, client, tenant, other_tenant):
        agent = published_agent(tenant.organization, name="Recepción", model="demo/assistant")
        conversation_with(tenant, agent, contact="+34600000001")
        foreign_agent = published_agent(other_tenant.organization, model="demo/assistant")
        conversation_with(other_tenant, foreign_agent, contact="+34699999999")

        html = signed_in(client, member_of(tenant)).get(reverse("backoffice:conversation_list")).content.decode()

        assert "+34600000001" in html
        assert "Recepción" in html
        assert "WhatsApp" in html
        assert "+34699999999" not in html

    def test_filters_by_agent_channel_and_date(self, client, tenant):
        sales = published_agent(tenant.organization, name="Ventas", model="demo/assistant")
        support = published_agent(tenant.organization, name="Soporte", model="demo/assistant")
        conversation_with(tenant, sales, contact="sales-whatsapp", reply=False)
        conversation_with(tenant, sales, channel=Channel.API, contact="sales-api", reply=False)
        conversation_with(tenant, support, contact="support-whatsapp", reply=False)
        old = conversation_with(tenant, sales, contact="sales-last-year", reply=False)
        Conversation.unscoped.filter(pk=old.pk).update(started_at=timezone.now() - datetime.timedelta(days=400))
        signed_in(client, tenant.owner)
        url = reverse("backoffice:conversation_list")

        by_agent = client.get(url, {"agent": str(sales.pk)}).content.decode()
        by_channel = client.get(url, {"agent": str(sales.pk), "channel": "whatsapp"}).content.decode()
        today = timezone.localdate().isoformat()
        by_date = client.get(url, {"since": today, "until": today}).content.decode()

        assert {"sales-whatsapp", "sales-api", "sales-last-year"} <= contacts_in(by_agent)
        assert "support-whatsapp" not in contacts_in(by_agent)
        assert contacts_in(by_channel) == {"sales-whatsapp", "sales-last-year"}
        assert contacts_in(by_date) == {"sales-whatsapp", "sales-api", "support-whatsapp"}

    def test_an_unknown_agent_filter_shows_an_empty_list_not_an_error(self, client, tenant):
        agent = published_agent(tenant.organization, model="demo/assistant")
        conversation_with(tenant, agent, reply=False)

        response = signed_in(client, tenant.owner).get(reverse("backoffice:conversation_list"), {"agent": "nope"})

        assert response.status_code == 200
        assert "No conversations match" in response.content.decode()


def contacts_in(html: str) -> set[str]:
    import re

    return set(re.findall(r'class="cell-primary" href="[^"]+">([^<]+)</a>', html))


class TestConversationDetail:
    def test_shows_messages_with_timings_tokens_and_delivery(self, client, tenant, fake_openai):
        agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
        fake_openai.queue("Abrimos a las 8.")
        conversation = conversation_with(tenant, agent, text="¿A qué hora abrís?")

        response = signed_in(client, member_of(tenant)).get(
            reverse("backoffice:conversation_detail", kwargs={"conversation_id": conversation.pk})
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert "¿A qué hora abrís?" in html
        assert "Abrimos a las 8." in html
        assert 'data-stage="first_token"' in html
        assert 'data-stage="reply_sent"' in html
        assert "data-tokens" in html
        assert "delivered" in html
        assert "v1" in html

    def test_model_errors_and_delivery_failures_are_visible(self, client, tenant, fake_openai):
        # Own model name: litellm cools a failed deployment down for a few seconds, and the
        # cached router is shared by every test that uses the same model and key.
        agent = fake_llm_agent(
            tenant.organization, fake_openai.base_url, model="openai_compatible/gpt-fake-failing-transcript"
        )
        fake_openai.queue(fake_openai.error(401, "Incorrect API key provided", type="invalid_request_error"))
        conversation = conversation_with(tenant, agent)
        reply = conversation.messages.get(role=Message.Role.ASSISTANT)
        Message.unscoped.filter(pk=reply.pk).update(delivery_status="failed", delivery_error="63016: outside window")

        html = (
            signed_in(client, tenant.owner)
            .get(reverse("backoffice:conversation_detail", kwargs={"conversation_id": conversation.pk}))
            .content.decode()
        )

        assert "Model error" in html
        assert "authentication" in html
        assert "Delivery failed" in html
        assert "63016: outside window" in html

    def test_another_tenants_conversation_is_not_found(self, client, tenant, other_tenant):
        agent = published_agent(other_tenant.organization, model="demo/assistant")
        conversation = conversation_with(other_tenant, agent, text="privado")

        response = signed_in(client, tenant.owner).get(
            reverse("backoffice:conversation_detail", kwargs={"conversation_id": conversation.pk})
        )

        assert response.status_code == 404
        assert "privado" not in response.content.decode()


class TestProviderCredentials:
    def test_adding_a_key_lists_it_masked_and_never_shows_it(self, client, tenant):
        signed_in(client, tenant.owner)

        response = client.post(
            reverse("backoffice:credential_list"), {"provider": "openai", "name": "default", "api_key": RAW_KEY}
        )

        assert response.status_code == 302
        credential = tenant.organization.providercredentials.get()
        assert str(credential.api_key) == RAW_KEY
        html = client.get(reverse("backoffice:credential_list")).content.decode()
        assert credential.masked_key in html
        assert RAW_KEY not in html
        assert "SuperSecretValue" not in html
        agent_form = client.get(reverse("backoffice:agent_create")).content.decode()
        assert "SuperSecretValue" not in agent_form

    def test_a_rejected_form_does_not_echo_the_key(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:credential_list"), {"provider": "openai_compatible", "name": "x", "api_key": RAW_KEY}
        )

        html = response.content.decode()
        assert response.status_code == 400
        assert "needs its base URL" in html
        assert "SuperSecretValue" not in html
        assert not ProviderCredential.unscoped.exists()

    def test_a_duplicate_name_is_explained_on_the_form(self, client, tenant):
        provider_credential_create(organization=tenant.organization, provider="openai", api_key="sk-first-000000")

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:credential_list"), {"provider": "openai", "name": "default", "api_key": RAW_KEY}
        )

        assert response.status_code == 400
        assert "already have a key with this name" in response.content.decode()

    def test_deleting_a_key_over_htmx(self, client, tenant):
        credential = provider_credential_create(organization=tenant.organization, provider="openai", api_key=RAW_KEY)

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:credential_delete", kwargs={"credential_id": credential.pk}), HTTP_HX_REQUEST="true"
        )

        assert response.status_code == 200
        assert not tenant.organization.providercredentials.exists()

    def test_another_tenants_key_cannot_be_deleted(self, client, tenant, other_tenant):
        credential = provider_credential_create(
            organization=other_tenant.organization, provider="openai", api_key=RAW_KEY
        )

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:credential_delete", kwargs={"credential_id": credential.pk})
        )

        assert response.status_code == 404
        assert ProviderCredential.unscoped.filter(pk=credential.pk).exists()

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_members_cannot_manage_keys(self, client, tenant, method):
        response = getattr(signed_in(client, member_of(tenant)), method)(
            reverse("backoffice:credential_list"), {"provider": "openai", "name": "m", "api_key": RAW_KEY}
        )

        assert response.status_code == 403
        assert not ProviderCredential.unscoped.exists()

    def test_admins_can_manage_keys(self, client, tenant):
        response = signed_in(client, member_of(tenant, Role.ADMIN)).get(reverse("backoffice:credential_list"))

        assert response.status_code == 200
