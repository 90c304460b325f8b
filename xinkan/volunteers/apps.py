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
                "volunteers.account_linked": _("Linked a volunteer's own account"),
                "volunteers.pairing.created": _("Paired a volunteer with a resident"),
                "volunteers.pairing.ended": _("Ended a pairing"),
                "volunteers.pairing.denied": _("Refused: pairing"),
                "volunteers.visit.logged": _("Logged a pairing visit"),
                "volunteers.visit.denied": _("Refused: pairing visit"),
                "volunteers.agreement_downloaded": _("Downloaded an assistance agreement"),
                "volunteers.certificate_issued": _("Issued a volunteer hours certificate"),
            }
        )
