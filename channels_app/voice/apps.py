from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "channels_app.voice"
    label = "voice"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
