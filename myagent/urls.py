from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from myagent import health

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("agents.api.urls")),
    path("", include("channels_app.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backoffice:home", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1, "api"))),  # type: ignore[arg-type]
    path("app/", include(("myagent.backoffice_urls", "backoffice"))),
    path("webhooks/", include("channels_app.webhook_urls")),
    path("widget/", include("channels_app.widget_urls")),
]
