from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "xinkan.mediation"
    label = "mediation"
    verbose_name = _("Mediation")

    def ready(self) -> None:
        from xinkan.audit.labels import register
        from xinkan.core import sweeps
        from xinkan.mediation.labels import LABELS
        from xinkan.mediation.services import sweep

        register(LABELS)
        sweeps.register("disputes", sweep)
