"""The one scope mechanism: what a user may see and act on, for a given permission.

Every selector, view, export and API call filters through `Scope`. A membership in a unit reaches
that unit's whole subtree; a membership in a department reaches that department. A permission is
only as wide as the memberships whose role grants it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet

from xinkan.org.models import Department, Membership, Unit
from xinkan.org.roles import ROLE_PERMISSIONS

if TYPE_CHECKING:
    from xinkan.accounts.models import User

M = TypeVar("M", bound=Model)

_CACHE_ATTR = "_xinkan_scope"


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int | None
    unit_path: str | None
    unit_name: str
    department_id: int | None
    department_unit_path: str | None


def _reduce_paths(paths: set[str]) -> tuple[str, ...]:
    """Drop paths that lie inside another path of the set: one prefix per disjoint subtree."""
    kept: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(root) for root in kept):
            kept.append(path)
    return tuple(kept)


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    grants: tuple[Grant, ...] = ()
    _by_perm: dict[str, tuple[tuple[str, ...], frozenset[int]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _unit_ids: dict[tuple[str, ...], list[int]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _tops: list[tuple[str, ...]] = field(default_factory=list, compare=False, repr=False)

    # --- What the user holds -------------------------------------------------------------
    @property
    def roles(self) -> frozenset[str]:
        return frozenset(grant.role for grant in self.grants)

    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.grants)

    def has_perm(self, perm: str) -> bool:
        return any(perm in ROLE_PERMISSIONS.get(grant.role, ()) for grant in self.grants)

    def _resolve(self, perm: str) -> tuple[tuple[str, ...], frozenset[int]]:
        cached = self._by_perm.get(perm)
        if cached is None:
            paths: set[str] = set()
            departments: set[int] = set()
            for grant in self.grants:
                if perm not in ROLE_PERMISSIONS.get(grant.role, ()):
                    continue
                if grant.unit_path:
                    paths.add(grant.unit_path)
                if grant.department_id:
                    departments.add(grant.department_id)
            cached = (_reduce_paths(paths), frozenset(departments))
            self._by_perm[perm] = cached
        return cached

    def unit_paths(self, perm: str) -> tuple[str, ...]:
        return self._resolve(perm)[0]

    def department_ids(self, perm: str) -> frozenset[int]:
        return self._resolve(perm)[1]

    # --- Checks on one object -------------------------------------------------------------
    def covers_unit(self, unit: Unit | None, perm: str) -> bool:
        if unit is None:
            return False
        return any(unit.path.startswith(root) for root in self.unit_paths(perm))

    def covers_department(self, department: Department | None, perm: str) -> bool:
        if department is None:
            return False
        if department.pk in self.department_ids(perm):
            return True
        return self.covers_unit(department.unit, perm)

    # --- Query filters ----------------------------------------------------------------------
    def unit_q(self, perm: str, field: str = "unit") -> Q:
        """Q for rows whose `field` (a Unit foreign key, or "" for Unit itself) is in scope.

        For a foreign key this is `field_id = ANY(<the ids of the units in scope>)` (one array
        parameter, core/lookups.py), the ids read once per request (`unit_ids`): PostgreSQL serves
        it from the foreign key's index, also when two such conditions are joined by OR. (With the
        ids as a subquery it filtered rows by a hashed subplan: a sequential scan of a million
        matters, ~0.8 s.)
        """
        roots = self.unit_paths(perm)
        if not roots:
            return Q(pk__in=[])
        paths = Q()
        for root in roots:
            paths |= Q(path__startswith=root)
        if not field:
            return paths
        if self.covers_every_unit(perm):
            return Q(**{f"{field}__isnull": False})
        return Q(**{f"{field}_id__any_of": self.unit_ids(perm)})

    def covers_every_unit(self, perm: str) -> bool:
        """Whether every unit there is lies in scope: the scope holds the top unit of every tree
        (a city's leader; the leader of a district that runs Xinkan alone). Then a filter by unit
        filters nothing, and the ids of the whole tree (67,201 for a city) need not be read nor
        sent. One query for the top units, only when the scope holds a top unit."""
        roots = self.unit_paths(perm)
        if not any(root.strip("/").count("/") == 0 for root in roots):
            return False
        if not self._tops:
            self._tops.append(
                tuple(Unit.objects.filter(parent__isnull=True).values_list("path", flat=True))
            )
        return all(any(top.startswith(root) for root in roots) for top in self._tops[0])

    def unit_ids(self, perm: str) -> list[int]:
        """The ids of every unit in scope for `perm`: one query per set of subtrees (most of
        a user's permissions share one), then kept with the scope."""
        paths = self.unit_paths(perm)
        cached = self._unit_ids.get(paths)
        if cached is None:
            cached = (
                list(self.units(perm).order_by("pk").values_list("pk", flat=True)) if paths else []
            )
            self._unit_ids[paths] = cached
        return cached

    def any_unit_q(self, perm: str, *fields: str) -> Q:
        """Q for rows with any of `fields` (Unit foreign keys) in scope.

        OR-ing `unit_q` subqueries makes PostgreSQL filter every row with a hashed subplan (a
        sequential scan of a million matters, ~0.8 s); lists of ids let it OR two index scans
        (~30 ms for a community). The ids cost one query per request and set of subtrees.
        """
        query = Q(pk__in=[])
        if self.covers_every_unit(perm):
            for name in fields:
                query |= Q(**{f"{name}__isnull": False})
            return query
        ids = self.unit_ids(perm)
        for name in fields:
            query |= Q(**{f"{name}_id__any_of": ids})
        return query

    def department_q(self, perm: str, field: str = "department") -> Q:
        """Q for rows whose `field` (a Department FK, or "" for Department) is in scope.

        Departments of units inside the user's unit scope count too: a district leader sees the
        district's departments.
        """
        own = self.department_ids(perm)
        id_field = f"{field}_id" if field else "pk"
        unit_field = f"{field}__unit" if field else "unit"
        query = Q(**{f"{id_field}__in": sorted(own)}) if own else Q(pk__in=[])
        if self.unit_paths(perm):
            query |= self.unit_q(perm, unit_field)
        return query

    def filter_units(self, queryset: QuerySet[M], perm: str, field: str = "unit") -> QuerySet[M]:
        return queryset.filter(self.unit_q(perm, field))

    def filter_departments(
        self, queryset: QuerySet[M], perm: str, field: str = "department"
    ) -> QuerySet[M]:
        return queryset.filter(self.department_q(perm, field))

    def units(self, perm: str) -> QuerySet[Unit]:
        return Unit.objects.filter(self.unit_q(perm, ""))

    def root_units(self, perm: str) -> list[Unit]:
        return list(Unit.objects.filter(path__in=self.unit_paths(perm)).order_by("path"))


def build_scope(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(user_id=None)
    memberships = (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("unit", "department__unit")
        .order_by("pk")
    )
    grants = []
    for membership in memberships:
        unit = membership.unit
        department = membership.department
        if unit is not None and not unit.is_active:
            continue
        if department is not None and not department.is_active:
            continue
        grants.append(
            Grant(
                role=membership.role,
                unit_id=unit.pk if unit else None,
                unit_path=unit.path if unit else None,
                unit_name=unit.name if unit else (department.name if department else ""),
                department_id=department.pk if department else None,
                department_unit_path=department.unit.path if department else None,
            )
        )
    return Scope(user_id=user.pk, grants=tuple(grants))


def get_scope(user: User | Any) -> Scope:
    """The user's scope, computed once per user object (one query) and then reused."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = build_scope(user)
        with contextlib.suppress(AttributeError):  # AnonymousUser and similar
            setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_scope(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
