from channels_app.voice.routing import websocket_urlpatterns as voice_patterns
from channels_app.widget.routing import websocket_urlpatterns as widget_patterns

websocket_urlpatterns = [*widget_patterns, *voice_patterns]
