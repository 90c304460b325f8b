from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidConfig(AppConfig):
    name = "xinkan.aid"
    label = "aid"
    verbose_name = _("Drives and stations")

    def ready(self) -> None:
        from xinkan.audit.labels import register

        register(
            {
                "aid.drive_created": _("Created a donation drive"),
                "aid.drive_opened": _("Opened a donation drive"),
                "aid.drive_closed": _("Closed a donation drive"),
                "aid.station_created": _("Created a station"),
                "aid.station_activated": _("Reopened a station"),
                "aid.station_deactivated": _("Closed a station"),
                "aid.received": _("Recorded donations received"),
                "aid.given": _("Recorded help given"),
                "aid.denied": _("Refused: drives and stations"),
            }
        )
