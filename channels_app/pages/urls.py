from django.urls import include, path

urlpatterns = [
    path("", include("channels_app.messaging.pages_urls")),
    path("", include("channels_app.widget.pages_urls")),
    path("", include("channels_app.voice.pages_urls")),
]
