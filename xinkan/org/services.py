"""Every write to the organisation: units, departments, memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.org import signals
from xinkan.org.models import LEVEL_RANK, PATH_SEGMENT_WIDTH, Department, Membership, Unit
from xinkan.org.roles import DEPARTMENT_ROLES, UNIT_ROLES, Perm, Role
from xinkan.org.scope import forget_scope, get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

UNIT_FIELDS = ["code", "name", "level", "rural", "parent", "address", "phone", "is_active"]
DEPARTMENT_FIELDS = ["code", "name", "short_name", "unit", "phone", "is_active"]


def _require_org_manager(by: User | None, unit: Unit | None) -> None:
    """Administrators manage the tree within their scope; `by=None` is system set-up only.

    Called before a service opens its transaction: the refusal's audit entry must survive the
    PermissionDenied that follows it.
    """
    if by is None or by.is_superuser:
        return
    # A root unit (no parent) lies above every administrator's scope: only a superuser adds one.
    allowed = unit is not None and get_scope(by).covers_unit(unit, Perm.ORG_MANAGE)
    if not allowed:
        audit.record_failure(actor=by, action="org.manage.denied", obj=unit, unit=unit)
        raise PermissionDenied(_("You may not change the organisation here."))


def _check_level(level: str, parent: Unit | None) -> None:
    if level not in LEVEL_RANK:
        raise ValidationError({"level": _("Unknown level.")})
    if parent is not None and LEVEL_RANK[level] <= LEVEL_RANK[parent.level]:
        raise ValidationError(
            {
                "level": _("A %(child)s cannot be placed under a %(parent)s.")
                % {
                    "child": Unit(level=level).get_level_display(),
                    "parent": parent.get_level_display(),
                }
            }
        )


def _segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


def create_unit(
    *,
    code: str,
    name: str,
    level: str,
    parent: Unit | None,
    by: User | None,
    rural: bool = False,
    address: str = "",
    phone: str = "",
) -> Unit:
    _require_org_manager(by, parent)
    with transaction.atomic():
        return _create_unit(
            code=code.strip(),
            name=name.strip(),
            level=level,
            parent=parent,
            by=by,
            rural=rural,
            address=address,
            phone=phone,
        )


def _create_unit(
    *,
    code: str,
    name: str,
    level: str,
    parent: Unit | None,
    by: User | None,
    rural: bool,
    address: str,
    phone: str,
) -> Unit:
    _check_level(level, parent)
    if Unit.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("A unit with code %(code)s already exists.") % {"code": code}}
        )
    unit = Unit(
        code=code,
        name=name,
        level=level,
        parent=parent,
        rural=rural,
        address=address,
        phone=phone,
        depth=(parent.depth + 1) if parent else 0,
        path=f"new:{code}",  # replaced below, once the id is known
    )
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = (parent.path if parent else "") + _segment(unit.pk)
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    audit.record(
        actor=by,
        action="org.unit.created",
        obj=unit,
        unit=unit,
        changes={key: [None, value] for key, value in audit.snapshot(unit, UNIT_FIELDS).items()},
    )
    return unit


def update_unit(unit: Unit, *, by: User | None, **values: Any) -> Unit:
    """Change a unit's own fields; a new parent moves the whole subtree (see `_move`)."""
    _require_org_manager(by, unit)
    new_parent = values.pop("parent", unit.parent)
    if (new_parent.pk if new_parent else None) != unit.parent_id:
        # Moving to the top (no parent) is a superuser's call, like adding a root unit.
        _require_org_manager(by, new_parent)
    with transaction.atomic():
        return _update_unit(unit, new_parent, by=by, values=values)


def _update_unit(
    unit: Unit, new_parent: Unit | None, *, by: User | None, values: dict[str, Any]
) -> Unit:
    before = audit.snapshot(unit, UNIT_FIELDS)
    old_level = unit.level
    for key, value in values.items():
        if key not in UNIT_FIELDS:
            raise ValueError(f"unknown unit field {key}")
        setattr(unit, key, value.strip() if isinstance(value, str) else value)
    _check_level(unit.level, new_parent)
    for child_level in Unit.objects.filter(parent=unit).values_list("level", flat=True).distinct():
        if LEVEL_RANK[child_level] <= LEVEL_RANK[unit.level]:
            raise ValidationError({"level": _("The unit's level must stay above its children's.")})
    unit.full_clean(exclude=["path", "parent"])
    unit.save()
    if unit.level != old_level:
        signals.unit_relevelled.send(sender=Unit, unit=unit, old_level=old_level)
    if (new_parent.pk if new_parent else None) != unit.parent_id:
        _move(unit, new_parent)
    changes = audit.diff(before, audit.snapshot(unit, UNIT_FIELDS))
    if changes:
        audit.record(actor=by, action="org.unit.updated", obj=unit, unit=unit, changes=changes)
    return unit


def _move(unit: Unit, new_parent: Unit | None) -> None:
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved under itself.")})
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "") + _segment(unit.pk)
    depth_delta = ((new_parent.depth + 1) if new_parent else 0) - unit.depth
    # One statement rewrites the prefix of the unit and all its descendants.
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    signals.unit_moved.send(sender=Unit, unit=unit, old_path=old_path)


def create_department(
    *, code: str, name: str, unit: Unit, by: User | None, short_name: str = "", phone: str = ""
) -> Department:
    _require_org_manager(by, unit)
    department = Department(
        code=code.strip(), name=name.strip(), unit=unit, short_name=short_name, phone=phone
    )
    department.full_clean()
    with transaction.atomic():
        department.save()
        audit.record(
            actor=by,
            action="org.department.created",
            obj=department,
            unit=unit,
            changes={
                k: [None, v] for k, v in audit.snapshot(department, DEPARTMENT_FIELDS).items()
            },
        )
    return department


def update_department(department: Department, *, by: User | None, **values: Any) -> Department:
    _require_org_manager(by, department.unit)
    if "unit" in values:
        _require_org_manager(by, values["unit"])
    with transaction.atomic():
        return _update_department(department, by=by, values=values)


def _update_department(
    department: Department, *, by: User | None, values: dict[str, Any]
) -> Department:
    before = audit.snapshot(department, DEPARTMENT_FIELDS)
    for key, value in values.items():
        if key not in DEPARTMENT_FIELDS:
            raise ValueError(f"unknown department field {key}")
        setattr(department, key, value.strip() if isinstance(value, str) else value)
    department.full_clean()
    changes = audit.diff(before, audit.snapshot(department, DEPARTMENT_FIELDS))
    if not changes:
        return department
    department.save()
    audit.record(
        actor=by,
        action="org.department.updated",
        obj=department,
        unit=department.unit,
        changes=changes,
    )
    return department


def check_membership_place(role: str, unit: Unit | None, department: Department | None) -> None:
    """A role is held in exactly one place, and in the kind of place it belongs to."""
    if (unit is None) == (department is None):
        raise ValidationError(_("Choose either a unit or a department."))
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if department is not None and role not in DEPARTMENT_ROLES:
        raise ValidationError({"role": _("This role is held in a unit, not in a department.")})
    if unit is not None and role not in UNIT_ROLES:
        raise ValidationError({"role": _("This role is held in a department, not in a unit.")})


def grant_membership(
    *,
    user: User,
    role: str,
    by: User | None,
    unit: Unit | None = None,
    department: Department | None = None,
    title: str = "",
) -> Membership:
    """Give `user` a role in a unit or a department. Granting an existing role changes nothing;
    granting a revoked one makes it active again."""
    check_membership_place(role, unit, department)
    place_unit = unit or (department.unit if department else None)
    _require_org_manager(by, place_unit)
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user,
            role=role,
            unit=unit,
            department=department,
            defaults={"title": title},
        )
        if not created and membership.is_active:
            return membership
        if not created:
            Membership.objects.filter(pk=membership.pk).update(is_active=True)
            membership.is_active = True
        forget_scope(user)
        audit.record(
            actor=by,
            action="org.membership.granted",
            obj=membership,
            unit=place_unit,
            data={"user": user.get_username(), "role": role, "title": title},
        )
    return membership


def revoke_membership(membership: Membership, *, by: User | None) -> None:
    place_unit = membership.unit or (membership.department.unit if membership.department else None)
    _require_org_manager(by, place_unit)
    with transaction.atomic():
        changed = Membership.objects.filter(pk=membership.pk, is_active=True).update(
            is_active=False
        )
        if not changed:
            return
        membership.is_active = False
        forget_scope(membership.user)
        audit.record(
            actor=by,
            action="org.membership.revoked",
            obj=membership,
            unit=place_unit,
            data={"user": membership.user.get_username(), "role": membership.role},
        )
