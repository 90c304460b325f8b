from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SquareConfig(AppConfig):
    name = "xinkan.square"
    label = "square"
    verbose_name = _("Public affairs square")

    def ready(self) -> None:
        from xinkan.audit.labels import register
        from xinkan.square.labels import LABELS

        register(LABELS)

        from xinkan.matters import origins
        from xinkan.square.origins import square_origins

        origins.register(square_origins)
