from django.urls import path

from channels_app.widget import pages

urlpatterns = [
    path("web-component/", pages.WidgetListPage.as_view(), name="widget_list"),
    path("web-component/secret/rotate/", pages.WidgetSecretRotatePage.as_view(), name="widget_secret_rotate"),
    path("web-component/sessions/", pages.WidgetSessionListPage.as_view(), name="widget_session_list"),
    path(
        "web-component/sessions/<str:session_id>/",
        pages.WidgetSessionDetailPage.as_view(),
        name="widget_session_detail",
    ),
    path(
        "web-component/sessions/<str:session_id>/revoke/",
        pages.WidgetSessionRevokePage.as_view(),
        name="widget_session_revoke",
    ),
    path("web-component/<str:key_id>/", pages.WidgetKeyDetailPage.as_view(), name="widget_key_detail"),
]
