"""Roles (DESIGN.md §3) and the permissions each grants — least privilege, in one place.

A permission is granted by a membership, and it reaches only the scope of that membership: a user
who is a volunteer in one community and a community worker in another may read residents only in
the second. Administrators run the system; they are not readers of residents' personal data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    MEDIATOR = "mediator", _("Ten-household mediator")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    SUBDISTRICT_CADRE = "subdistrict_cadre", _("Subdistrict cadre")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    LAWYER = "lawyer", _("Lawyer")
    VOLUNTEER = "volunteer", _("Volunteer")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class Perm:
    """Permission names. Later features add their own here, next to the roles that hold them."""

    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    ACCOUNTS_MANAGE = "accounts.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_VIEW_SYSTEM = "audit.view_system"  # entries not tied to a unit (logins, system jobs)
    RESIDENTS_VIEW = "residents.view"
    RESIDENTS_MANAGE = "residents.manage"
    RESIDENTS_VIEW_PERSONAL = "residents.view_personal"  # full (unmasked) personal fields
    # Sensitive colour categories (health, disability, subsistence allowance, key persons).
    RESIDENTS_VIEW_SENSITIVE = "residents.view_sensitive"
    MATTERS_VIEW = "matters.view"
    MATTERS_REGISTER = "matters.register"
    MATTERS_ACCEPT = "matters.accept"  # accept, decline, dispatch, decide objections and extensions
    MATTERS_HANDLE = "matters.handle"  # sign for, handle, reply (a department, or a unit itself)
    MATTERS_FOLLOW_UP = "matters.follow_up"
    MATTERS_REVIEW = "matters.review"  # decide reviews and re-reviews at one's level
    MATTERS_ACCOMPANY = "matters.accompany"  # 带办陪访
    MATTERS_SUPERVISE = "matters.supervise"  # see and push overdue work (督办)
    VOLUNTEERS_VIEW = "volunteers.view"
    VOLUNTEERS_MANAGE = "volunteers.manage"  # register volunteers, record and correct hours
    AID_VIEW = "aid.view"  # donation drives and stations
    AID_MANAGE = "aid.manage"  # run drives and stations, record what comes in and goes out
    MEDIATION_VIEW = "mediation.view"
    # Has a disputes page: those who see disputes of their units, and lawyers who see only the
    # disputes they are assigned to.
    MEDIATION_WORK = "mediation.work"
    MEDIATION_REGISTER = "mediation.register"
    MEDIATION_MEDIATE = "mediation.mediate"  # sessions and outcomes at the steps of one's units
    # Start a dispute above step ①, keep the lawyers' conflicts, schedule the station, refer out.
    MEDIATION_MANAGE = "mediation.manage"
    SQUARE_VIEW = "square.view"  # public affairs square sessions and their questions
    # Plan and run sessions of one's units: moderate questions, record answers and promises.
    SQUARE_RUN = "square.run"
    SQUARE_ANSWER = "square.answer"  # prepare the answers to questions put to one's department
    # Performance figures of one's units (subtrees) or department, and the cases behind them.
    METRICS_VIEW = "metrics.view"
    # Issue and revoke API tokens for other systems within one's units.
    API_MANAGE = "api.manage"


_STAFF_BASE = frozenset({Perm.ORG_VIEW})
_MEDIATION_FRONT = frozenset({Perm.MEDIATION_WORK, Perm.MEDIATION_VIEW, Perm.MEDIATION_REGISTER})
_MEDIATION_UNIT = _MEDIATION_FRONT | {Perm.MEDIATION_MEDIATE, Perm.MEDIATION_MANAGE}

_MATTERS_FRONT = frozenset({Perm.MATTERS_VIEW, Perm.MATTERS_REGISTER, Perm.MATTERS_FOLLOW_UP})
_MATTERS_UNIT = _MATTERS_FRONT | {Perm.MATTERS_ACCEPT, Perm.MATTERS_HANDLE, Perm.MATTERS_ACCOMPANY}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: _STAFF_BASE
    | _MATTERS_FRONT
    | _MEDIATION_FRONT
    | {Perm.VOLUNTEERS_VIEW, Perm.AID_VIEW}
    | {Perm.RESIDENTS_VIEW, Perm.RESIDENTS_MANAGE, Perm.RESIDENTS_VIEW_PERSONAL},
    Role.MEDIATOR: _STAFF_BASE | _MEDIATION_FRONT | {Perm.MEDIATION_MEDIATE, Perm.RESIDENTS_VIEW},
    Role.COMMUNITY_WORKER: _STAFF_BASE
    | _MATTERS_UNIT
    | _MEDIATION_UNIT
    | {Perm.VOLUNTEERS_VIEW, Perm.VOLUNTEERS_MANAGE}
    | {Perm.AID_VIEW, Perm.AID_MANAGE}
    | {Perm.RESIDENTS_VIEW, Perm.RESIDENTS_MANAGE, Perm.RESIDENTS_VIEW_PERSONAL}
    | {Perm.RESIDENTS_VIEW_SENSITIVE}
    | {Perm.METRICS_VIEW},
    Role.SUBDISTRICT_CADRE: _STAFF_BASE
    | _MATTERS_UNIT
    | _MEDIATION_UNIT
    | {Perm.VOLUNTEERS_VIEW, Perm.VOLUNTEERS_MANAGE}
    | {Perm.AID_VIEW, Perm.AID_MANAGE}
    | {Perm.MATTERS_REVIEW, Perm.MATTERS_SUPERVISE}
    | {Perm.SQUARE_VIEW, Perm.SQUARE_RUN}
    | {Perm.RESIDENTS_VIEW, Perm.RESIDENTS_VIEW_PERSONAL, Perm.RESIDENTS_VIEW_SENSITIVE}
    | {Perm.METRICS_VIEW},
    Role.DEPARTMENT_HANDLER: _STAFF_BASE
    | {Perm.MATTERS_VIEW, Perm.MATTERS_HANDLE}
    | {Perm.SQUARE_VIEW, Perm.SQUARE_ANSWER}
    | {Perm.METRICS_VIEW},
    Role.LAWYER: _STAFF_BASE | {Perm.MEDIATION_WORK},
    Role.VOLUNTEER: frozenset(),
    Role.LEADER: _STAFF_BASE
    | {Perm.AUDIT_VIEW, Perm.RESIDENTS_VIEW}
    | {Perm.MATTERS_VIEW, Perm.MATTERS_REVIEW, Perm.MATTERS_SUPERVISE, Perm.MATTERS_ACCEPT}
    | {Perm.MEDIATION_WORK, Perm.MEDIATION_VIEW}
    | {Perm.SQUARE_VIEW, Perm.SQUARE_RUN, Perm.SQUARE_ANSWER}
    | {Perm.METRICS_VIEW},
    Role.ADMIN: _STAFF_BASE
    | {Perm.ORG_MANAGE, Perm.ACCOUNTS_MANAGE, Perm.AUDIT_VIEW, Perm.AUDIT_VIEW_SYSTEM}
    | {Perm.API_MANAGE},
}

# Roles held in a department rather than in a unit of the tree.
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER, Role.LEADER})
UNIT_ROLES = frozenset(set(Role) - {Role.DEPARTMENT_HANDLER})


def grants(role: str, perm: str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
