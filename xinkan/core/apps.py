from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xinkan.core"
    label = "core"
    verbose_name = "Xinkan core"
