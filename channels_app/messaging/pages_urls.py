from django.urls import path

from channels_app.messaging import pages

urlpatterns = [
    path("channels/", pages.ChannelListPage.as_view(), name="channel_list"),
    path("channels/connect/", pages.ChannelConnectionCreatePage.as_view(), name="channel_connection_create"),
    path(
        "channels/<str:connection_id>/toggle/",
        pages.ChannelConnectionTogglePage.as_view(),
        name="channel_connection_toggle",
    ),
    path(
        "channels/<str:connection_id>/delete/",
        pages.ChannelConnectionDeletePage.as_view(),
        name="channel_connection_delete",
    ),
    path("channels/twilio-accounts/", pages.TwilioAccountCreatePage.as_view(), name="twilio_account_create"),
    path(
        "channels/twilio-accounts/<str:account_id>/delete/",
        pages.TwilioAccountDeletePage.as_view(),
        name="twilio_account_delete",
    ),
]
