from django.urls import include, path

urlpatterns = [
    path("", include("channels_app.messaging.api_urls")),
    path("", include("channels_app.widget.api_urls")),
]
