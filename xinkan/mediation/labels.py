"""How each mediation fact is named in the dispute's timeline and in the audit log."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "mediation.registered": _("Dispute registered"),
    "mediation.step_started": _("Mediation step started"),
    "mediation.mediator_assigned": _("Mediator assigned"),
    "mediation.session_scheduled": _("Session scheduled"),
    "mediation.session_recorded": _("Session recorded"),
    "mediation.settled": _("Settled"),
    "mediation.not_settled": _("Not settled: goes up a step"),
    "mediation.withdrawn": _("Withdrawn"),
    "mediation.referred": _("Referred elsewhere"),
    "mediation.term_performed": _("Term performed"),
    "mediation.term_not_performed": _("Term not performed"),
    "mediation.confirmation_recorded": _("Judicial confirmation recorded"),
    "mediation.agreement_downloaded": _("Agreement downloaded"),
    "mediation.viewed": _("Viewed a dispute"),
    "mediation.view_denied": _("Refused: dispute"),
    "mediation.overdue": _("Step overdue"),
    "mediation.supervised": _("Supervision raised"),
    "mediation.representation_added": _("Lawyer's earlier client recorded"),
    "mediation.step_limit_set": _("Time limit of a step set"),
}
