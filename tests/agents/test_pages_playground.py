"""The playground page and its token stream: it talks to the *draft* over the session."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse

from accounts.models import Role
from agents.models import Channel, Conversation, Message
from agents.services.agents import agent_update
from tests.agents.factories import fake_llm_agent, published_agent
from tests.agents.test_pages import member_of, signed_in

pytestmark = pytest.mark.django_db


def stream_url(agent) -> str:
    return reverse("backoffice:agent_playground_stream", kwargs={"agent_id": agent.pk})


def read_events(response) -> list[tuple[str, dict]]:
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    body = async_to_sync(collect)().decode()
    events = []
    for block in body.strip().split("\n\n"):
        head, data = block.split("\n", 1)
        events.append((head.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def say(client, agent, message, **extra) -> list[tuple[str, dict]]:
    response = client.post(stream_url(agent), {"message": message, **extra}, HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/event-stream")
    return read_events(response)


def tokens(events) -> list[str]:
    return [data["text"] for name, data in events if name == "token"]


def done(events) -> dict:
    name, data = events[-1]
    assert name == "done"
    return data


class TestPlaygroundStream:
    def test_streams_tokens_from_the_unpublished_draft(self, client, tenant, fake_openai):
        agent = fake_llm_agent(tenant.organization, fake_openai.base_url, instructions="Published: closed on Sundays.")
        agent_update(organization=tenant.organization, agent=agent, instructions="Draft: open on Sundays too.")
        fake_openai.queue("Sí, abrimos los domingos de 9 a 14.")

        events = say(signed_in(client, tenant.owner), agent, "¿Abrís el domingo?")

        assert events[0][0] == "meta"
        assert len(tokens(events)) > 3
        assert "".join(tokens(events)) == "Sí, abrimos los domingos de 9 a 14."
        system_prompt = fake_openai.last_request["json"]["messages"][0]["content"]
        assert "Draft: open on Sundays too." in system_prompt
        assert "Published" not in system_prompt
        result = done(events)
        assert result["reply"]["content"] == "Sí, abrimos los domingos de 9 a 14."
        stages = {timing["stage"]: timing["ms"] for timing in result["stats"]["timings"]}
        assert {"llm_request", "first_token", "llm_done", "reply_sent"} <= set(stages)
        assert all(ms >= 0 for ms in stages.values())
        assert result["stats"]["completion_tokens"] > 0
        assert result["stats"]["prompt_tokens"] > 0

    def test_the_conversation_is_per_user_on_the_playground_channel_and_continues(self, client, tenant, fake_openai):
        agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
        signed_in(client, tenant.owner)

        first = say(client, agent, "uno")
        conversation_id = first[0][1]["conversation_id"]
        say(client, agent, "dos", conversation=conversation_id)

        conversation = tenant.organization.conversations.get(pk=conversation_id)
        assert conversation.channel == Channel.PLAYGROUND
        assert conversation.contact.external_id == f"user:{tenant.owner.pk}"
        sent = [m["content"] for m in fake_openai.last_request["json"]["messages"][1:]]
        assert sent == ["uno", "Echo: uno", "dos"]

    def test_new_conversation_starts_without_memory(self, client, tenant, fake_openai):
        agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
        signed_in(client, tenant.owner)
        old_id = say(client, agent, "uno")[0][1]["conversation_id"]

        events = say(client, agent, "otra vez", conversation=old_id, fresh="1")

        assert events[0][1]["conversation_id"] != old_id
        assert [m["role"] for m in fake_openai.last_request["json"]["messages"]] == ["system", "user"]
        page = client.get(reverse("backoffice:agent_playground", kwargs={"agent_id": agent.pk})).content.decode()
        assert "otra vez" in page
        assert "Echo: uno" not in page

    def test_members_may_use_the_playground(self, client, tenant, fake_openai):
        agent = fake_llm_agent(tenant.organization, fake_openai.base_url, publish=False)
        member = member_of(tenant, Role.MEMBER)

        events = say(signed_in(client, member), agent, "hola")

        assert "".join(tokens(events)) == "Echo: hola"
        page = client.get(reverse("backoffice:agent_playground", kwargs={"agent_id": agent.pk}))
        assert page.status_code == 200
        assert "Echo: hola" in page.content.decode()

    def test_another_users_playground_conversation_cannot_be_continued(self, client, tenant, fake_openai):
        agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
        owners_conversation = say(signed_in(client, tenant.owner), agent, "secreto")[0][1]["conversation_id"]

        response = signed_in(client, member_of(tenant)).post(
            stream_url(agent), {"message": "¿qué dijo?", "conversation": owners_conversation}
        )

        assert response.status_code == 404
        assert Message.unscoped.filter(conversation_id=owners_conversation).count() == 2

    def test_a_demo_agent_answers_offline_and_is_labelled(self, client, tenant):
        agent = published_agent(tenant.organization, model="demo/assistant", publish=False)
        signed_in(client, tenant.owner)

        result = done(say(client, agent, "hola"))

        assert result["stats"]["is_demo"] is True
        assert result["stats"]["model"] == "demo/assistant"
        page = client.get(reverse("backoffice:agent_playground", kwargs={"agent_id": agent.pk})).content.decode()
        assert "data-demo-notice" in page
        assert "data-demo-badge" in page

    def test_provider_failure_shows_the_fallback_reply_and_the_error(self, client, tenant, fake_openai):
        # Own model name: litellm cools a failed deployment down for a few seconds, and the
        # cached router is shared by every test that uses the same model and key.
        agent = fake_llm_agent(
            tenant.organization, fake_openai.base_url, model="openai_compatible/gpt-fake-failing-playground"
        )
        fake_openai.queue(fake_openai.error(401, "Incorrect API key provided", type="invalid_request_error"))

        result = done(say(signed_in(client, tenant.owner), agent, "hola"))

        assert result["reply"]["content"].startswith("Lo siento")
        assert result["reply"]["error"].startswith("authentication")


class TestPlaygroundRequests:
    def test_signed_out_visitors_get_401(self, client, tenant):
        agent = published_agent(tenant.organization)

        response = client.post(stream_url(agent), {"message": "hola"})

        assert response.status_code == 401
        assert not Conversation.unscoped.exists()

    def test_an_empty_message_is_refused(self, client, tenant):
        agent = published_agent(tenant.organization)

        response = signed_in(client, tenant.owner).post(stream_url(agent), {"message": "  "})

        assert response.status_code == 400
        assert response.json()["error"]["fields"]["message"]

    def test_only_post_is_allowed(self, client, tenant):
        agent = published_agent(tenant.organization)

        assert signed_in(client, tenant.owner).get(stream_url(agent)).status_code == 405

    def test_suspended_organizations_cannot_chat(self, client, tenant):
        agent = published_agent(tenant.organization)
        tenant.organization.is_suspended = True
        tenant.organization.save()

        response = signed_in(client, tenant.owner).post(stream_url(agent), {"message": "hola"})

        assert response.status_code == 403

    def test_the_page_renders_the_chat_wired_to_the_stream(self, client, tenant):
        agent = published_agent(tenant.organization, greeting="¡Bienvenido a Café Sol!")

        html = (
            signed_in(client, tenant.owner)
            .get(reverse("backoffice:agent_playground", kwargs={"agent_id": agent.pk}))
            .content.decode()
        )

        assert f'action="{stream_url(agent)}"' in html
        assert "agents/playground.js" in html
        assert "¡Bienvenido a Café Sol!" in html
        assert "csrfmiddlewaretoken" in html
