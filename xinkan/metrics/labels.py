"""How each metrics fact is named in the audit log."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "metrics.exported": _("Performance table exported"),
    "metrics.view_denied": _("Refused: performance figures"),
    "metrics.rebuilt": _("Performance aggregates rebuilt"),
}
