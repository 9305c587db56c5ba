from django.urls import path
from rest_framework.routers import SimpleRouter

from agents.api.chat import chat_view
from agents.api.views import AgentViewSet, ConversationViewSet, ProviderCredentialViewSet

router = SimpleRouter()
router.register("provider-credentials", ProviderCredentialViewSet, basename="provider-credential")
router.register("agents", AgentViewSet, basename="agent")
router.register("conversations", ConversationViewSet, basename="conversation")

urlpatterns = [
    path("agents/<str:pk>/chat/", chat_view, name="agent-chat"),
    *router.urls,
]
