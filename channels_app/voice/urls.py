"""Twilio Voice webhooks, mounted at /webhooks/twilio/voice/."""

from django.urls import path

from channels_app.voice import views

app_name = "voice"

urlpatterns = [
    path("", views.incoming_call_webhook, name="incoming"),
    path("relay-action/", views.relay_action_webhook, name="relay_action"),
    path("status/", views.call_status_webhook, name="status"),
    path("gather/", views.gather_webhook, name="gather"),
]
