"""How each square fact is named in the audit log."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "square.session.planned": _("Planned a square session"),
    "square.session.changed": _("Changed a square session"),
    "square.session.opened": _("Opened a square session for questions"),
    "square.session.live": _("Started a square session"),
    "square.session.finished": _("Finished a square session"),
    "square.session.attendance": _("Recorded a square session's attendance"),
    "square.panelist.added": _("Added a department to a square session"),
    "square.panelist.removed": _("Removed a department from a square session"),
    "square.question.submitted": _("Question submitted for the square"),
    "square.question.registered": _("Registered a question asked at the square"),
    "square.question.approved": _("Approved a square question"),
    "square.question.declined": _("Declined a square question"),
    "square.question.merged": _("Merged a square question into another"),
    "square.question.assigned": _("Assigned a square question"),
    "square.question.moved": _("Moved a square question in the queue"),
    "square.question.called": _("Called a square question"),
    "square.question.prepared": _("Prepared an answer to a square question"),
    "square.question.answered": _("Recorded an answer given on the spot"),
    "square.question.promised": _("Recorded a promise by a deadline"),
    "square.denied": _("Refused: public affairs square"),
}
