"""The BackOffice (/app/): one URL namespace, each app contributes its own pages."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.pages.urls")),
    path("", include("agents.pages.urls")),
    path("", include("channels_app.pages.urls")),
]
