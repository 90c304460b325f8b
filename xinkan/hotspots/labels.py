"""How each hot spot and campaign fact is named in the audit log."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "hotspots.acted": _("Raised a proactive matter for a hot spot"),
    "hotspots.campaign.started": _("Started a problem-of-the-month campaign"),
    "hotspots.campaign.matter_added": _("Added a matter to a campaign"),
    "hotspots.campaign.note_added": _("Recorded a campaign's progress"),
    "hotspots.denied": _("Refused: hot spots or campaigns"),
}
