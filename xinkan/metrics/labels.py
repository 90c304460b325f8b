"""How each metrics fact is named in the audit log."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "metrics.exported": _("Performance table exported"),
    "metrics.view_denied": _("Refused: performance figures"),
    "metrics.rebuilt": _("Performance aggregates rebuilt"),
    "metrics.report_requested": _("Monthly report requested"),
    "metrics.report_generated": _("Monthly report generated"),
    "metrics.report_failed": _("Monthly report failed"),
    "metrics.reports_scheduled": _("Monthly reports scheduled"),
    "metrics.report_downloaded": _("Monthly report downloaded"),
}
