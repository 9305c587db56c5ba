import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myagent.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from channels_app.routing import websocket_urlpatterns  # noqa: E402
from integrations.clients.llm import warm_up  # noqa: E402

warm_up()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Each WebSocket consumer authenticates its own way (widget token, Twilio
        # signature) and enters the tenant scope in its auth middleware.
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
