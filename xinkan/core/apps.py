from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xinkan.core"
    label = "core"
    verbose_name = "Xinkan core"

    def ready(self) -> None:
        from xinkan.core import lookups

        lookups.register()
