from django.apps import AppConfig


class WidgetConfig(AppConfig):
    name = "channels_app.widget"
    label = "widget"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
