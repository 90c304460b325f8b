from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "xinkan.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self) -> None:
        from xinkan.audit.labels import register

        register(
            {
                "volunteers.registered": _("Registered a volunteer"),
                "volunteers.hours_recorded": _("Recorded service hours"),
                "volunteers.hours_corrected": _("Corrected service hours"),
                "volunteers.denied": _("Refused: volunteers"),
                "volunteers.team_created": _("Created a service team"),
                "volunteers.team_member_added": _("Added a member to a service team"),
                "volunteers.team_member_removed": _("Removed a member from a service team"),
            }
        )
