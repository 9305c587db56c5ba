from django.urls import path

from channels_app.messaging import views

urlpatterns = [
    path("", views.inbound_message_webhook, name="twilio-messaging-inbound"),
    path("status/", views.message_status_webhook, name="twilio-messaging-status"),
]
