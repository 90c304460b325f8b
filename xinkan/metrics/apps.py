from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "xinkan.metrics"
    label = "metrics"
    verbose_name = _("Performance")

    def ready(self) -> None:
        from xinkan.audit.labels import register
        from xinkan.metrics import providers, receivers
        from xinkan.metrics.labels import LABELS

        register(LABELS)
        providers.register_builtin()
        receivers.connect()
