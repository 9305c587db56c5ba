from django.urls import path

from channels_app.voice import pages

urlpatterns = [
    path("calls/", pages.CallListPage.as_view(), name="call_list"),
    path("calls/<str:call_id>/", pages.CallDetailPage.as_view(), name="call_detail"),
]
