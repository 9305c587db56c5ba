from django.urls import path

from accounts.pages import views

urlpatterns = [
    path("", views.HomePage.as_view(), name="home"),
]
