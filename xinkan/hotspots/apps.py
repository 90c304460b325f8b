from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotspotsConfig(AppConfig):
    name = "xinkan.hotspots"
    label = "hotspots"
    verbose_name = _("Hot spots")

    def ready(self) -> None:
        from xinkan.audit.labels import register
        from xinkan.hotspots.labels import LABELS

        register(LABELS)
