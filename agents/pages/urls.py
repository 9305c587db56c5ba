from django.urls import path

from agents.pages import agents, conversations, credentials, playground

urlpatterns = [
    path("agents/", agents.AgentListPage.as_view(), name="agent_list"),
    path("agents/new/", agents.AgentCreatePage.as_view(), name="agent_create"),
    path("agents/<str:agent_id>/", agents.AgentDetailPage.as_view(), name="agent_detail"),
    path("agents/<str:agent_id>/edit/", agents.AgentEditPage.as_view(), name="agent_edit"),
    path("agents/<str:agent_id>/versions/", agents.AgentVersionsPage.as_view(), name="agent_versions"),
    path("agents/<str:agent_id>/publish/", agents.AgentPublishPage.as_view(), name="agent_publish"),
    path("agents/<str:agent_id>/rollback/", agents.AgentRollbackPage.as_view(), name="agent_rollback"),
    path("agents/<str:agent_id>/delete/", agents.AgentDeletePage.as_view(), name="agent_delete"),
    path("agents/<str:agent_id>/playground/", playground.AgentPlaygroundPage.as_view(), name="agent_playground"),
    path(
        "agents/<str:agent_id>/playground/stream/",
        playground.playground_stream_view,
        name="agent_playground_stream",
    ),
    path("conversations/", conversations.ConversationListPage.as_view(), name="conversation_list"),
    path(
        "conversations/<str:conversation_id>/",
        conversations.ConversationDetailPage.as_view(),
        name="conversation_detail",
    ),
    path("provider-keys/", credentials.CredentialListPage.as_view(), name="credential_list"),
    path(
        "provider-keys/<str:credential_id>/delete/",
        credentials.CredentialDeletePage.as_view(),
        name="credential_delete",
    ),
]
