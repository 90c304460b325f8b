from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "xinkan.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from xinkan.api.labels import LABELS
        from xinkan.audit.labels import register

        register(LABELS)
