from rest_framework.routers import SimpleRouter

from channels_app.messaging.api.views import ChannelConnectionViewSet, TwilioAccountViewSet

router = SimpleRouter()
router.register("twilio-accounts", TwilioAccountViewSet, basename="twilio-account")
router.register("channel-connections", ChannelConnectionViewSet, basename="channel-connection")

urlpatterns = router.urls
