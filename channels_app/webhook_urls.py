"""Inbound vendor webhooks (/webhooks/…). Each checks its vendor's signature."""

from django.urls import include, path

urlpatterns = [
    path("twilio/messaging/", include("channels_app.messaging.urls")),
    path("twilio/voice/", include("channels_app.voice.urls")),
]
