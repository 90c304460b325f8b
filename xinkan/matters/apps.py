from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "xinkan.matters"
    label = "matters"
    verbose_name = _("Matters")

    def ready(self) -> None:
        from xinkan.audit.labels import register
        from xinkan.core import sweeps
        from xinkan.matters.labels import LABELS
        from xinkan.matters.services import sweep_all

        register(LABELS)
        sweeps.register("matters", sweep_all)
