"""Human names of audit actions. Each app adds its actions with `register`."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "accounts.login.succeeded": _("Logged in"),
    "accounts.login.failed": _("Failed login"),
    "accounts.login.refused_locked": _("Login refused: account locked"),
    "accounts.logout": _("Logged out"),
    "accounts.user.created": _("Created an account"),
    "accounts.user.updated": _("Changed an account"),
    "accounts.user.activated": _("Activated an account"),
    "accounts.user.deactivated": _("Deactivated an account"),
    "accounts.user.locked": _("Account locked"),
    "accounts.user.unlocked": _("Unlocked an account"),
    "accounts.password.changed": _("Changed own password"),
    "accounts.password.reset": _("Reset a password"),
    "accounts.two_factor.enrolled": _("Enrolled an authenticator"),
    "accounts.two_factor.enrol_failed": _("Failed authenticator enrolment"),
    "accounts.two_factor.failed": _("Wrong second-factor code"),
    "accounts.two_factor.reset": _("Removed a second factor"),
    "accounts.manage.denied": _("Refused: account management"),
    "org.unit.created": _("Created a unit"),
    "org.unit.updated": _("Changed a unit"),
    "org.department.created": _("Created a department"),
    "org.department.updated": _("Changed a department"),
    "org.membership.granted": _("Granted a role"),
    "org.membership.revoked": _("Revoked a role"),
    "org.manage.denied": _("Refused: organisation change"),
    "residents.household.created": _("Registered a household"),
    "residents.resident.created": _("Registered a resident"),
    "residents.resident.viewed": _("Viewed a resident's record"),
    "residents.resident.view_denied": _("Refused: resident's record"),
    "residents.manage.denied": _("Refused: change to residents"),
    "residents.resident.updated": _("Changed a resident's record"),
    "residents.household.updated": _("Changed a household"),
    "residents.import.queued": _("Started a residents import"),
    "residents.import.finished": _("Finished a residents import"),
    "residents.import.failed": _("A residents import failed"),
    "residents.import.denied": _("Refused: residents import"),
    "residents.exported": _("Exported a list of residents"),
    "residents.resident.revealed": _("Showed a resident's full personal data"),
    "residents.resident.reveal.denied": _("Refused: a resident's full personal data"),
    "residents.colour.added": _("Put a resident in a colour category"),
    "residents.colour.ended": _("Took a resident out of a colour category"),
    "residents.colour.denied": _("Refused: a sensitive colour category"),
    "residents.colour.viewed": _("Viewed a resident's sensitive categories"),
    "residents.visit.recorded": _("Recorded a care visit"),
    "residents.visit.denied": _("Refused: a care visit"),
    "residents.need.opened": _("Recorded a resident's need"),
    "residents.need.closed": _("Closed a resident's need"),
    "audit.chain.verified": _("Checked the audit chain"),
    "core.data_keys.rotated": _("Re-encrypted personal data with a new key"),
    "core.calendar_day.set": _("Set a working day or holiday"),
}


def register(labels: Mapping[str, str | Promise]) -> None:
    ACTION_LABELS.update(labels)


def label_for(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
