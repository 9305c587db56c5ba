"""Conversations: what agents and customers said, read-only for every member."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse

from accounts.pages.base import OrganizationPage, PageRequest
from agents.pages.forms import ConversationFilterForm
from agents.pages.timings import reply_stats
from agents.selectors import conversation_list
from myagent.lookups import get_or_404

PAGE_SIZE = 25


class ConversationListPage(OrganizationPage):
    def get(self, request: PageRequest) -> HttpResponse:
        form = ConversationFilterForm(request.GET or None, organization=self.organization)
        if not form.is_bound:
            conversations = conversation_list(organization=self.organization, filters={})
        elif form.is_valid():
            conversations = conversation_list(organization=self.organization, filters=form.selector_filters())
        else:  # a stale or hand-edited filter: show its error and nothing rather than everything
            conversations = self.organization.conversations.none()
        page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": form, "page": page, "query": query.urlencode()}
        return TemplateResponse(request, "agents/conversation_list.html", context)


class ConversationDetailPage(OrganizationPage):
    def get(self, request: PageRequest, conversation_id: str) -> HttpResponse:
        conversation = get_or_404(
            self.organization.conversations.select_related("agent", "contact", "agent_version"), conversation_id
        )
        messages = conversation.messages.order_by("created_at", "pk")
        transcript = [{"message": message, "stats": reply_stats(message)} for message in messages]
        context = {"conversation": conversation, "transcript": transcript}
        return TemplateResponse(request, "agents/conversation_detail.html", context)
