from django.urls import path

from channels_app.voice.consumers import ConversationRelayConsumer
from channels_app.voice.middleware import TwilioRelayAuthMiddleware
from channels_app.voice.relay_tokens import RELAY_PATH

websocket_urlpatterns = [
    path(RELAY_PATH.lstrip("/"), TwilioRelayAuthMiddleware(ConversationRelayConsumer.as_asgi())),
]
