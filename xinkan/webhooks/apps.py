from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "xinkan.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from xinkan.audit.labels import register
        from xinkan.webhooks.labels import LABELS

        register(LABELS)
