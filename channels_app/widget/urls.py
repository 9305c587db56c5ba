"""Public endpoints under /widget/v1/ (called from other websites)."""

from django.urls import path
from django.views.decorators.http import require_safe

from channels_app.widget import views

app_name = "widget"

urlpatterns = [
    path("session/", views.session_view, name="session"),
    path("myagent-chat.js", require_safe(views.script_view), name="script"),
    path("myagent-chat.<str:version>.js", require_safe(views.script_versioned_view), name="script_versioned"),
]
