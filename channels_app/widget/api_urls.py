from rest_framework.routers import SimpleRouter

from channels_app.widget.api.views import WidgetKeyViewSet, WidgetSessionViewSet

router = SimpleRouter()
router.register("widget-keys", WidgetKeyViewSet, basename="widget-key")
router.register("widget-sessions", WidgetSessionViewSet, basename="widget-session")

urlpatterns = router.urls
