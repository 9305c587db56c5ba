from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
