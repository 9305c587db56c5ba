from django.urls import path

from channels_app.widget.consumers import WidgetConsumer
from channels_app.widget.middleware import WidgetAuthMiddleware

websocket_urlpatterns = [
    path("ws/widget/", WidgetAuthMiddleware(WidgetConsumer.as_asgi())),
]
