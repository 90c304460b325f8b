"""Export of a (filtered) residents list as .csv or .xlsx (written by core.tables).

Only residents in the reader's scope; ID numbers and phones masked unless the reader may see them
in full and asks to (per resident's unit); sensitive colour categories only where the reader may
see them. Every export is audited with its row count, format and filters — never values. The
columns are those of the import, so a full export can be corrected and imported again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.core.paging import capped_count
from xinkan.core.phones import mask_phone
from xinkan.core.tables import FORMATS
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.identity import mask_id_number
from xinkan.residents.imports.columns import BY_KEY
from xinkan.residents.models import Gender, Resident, ResidentColour

if TYPE_CHECKING:
    from xinkan.accounts.models import User

EXPORT_CAP = 100_000
CHUNK = 2000
_GENDER: dict[str, str] = {Gender.MALE: "男", Gender.FEMALE: "女"}


class ExportTooLarge(ValueError):
    pass


def headers() -> list[str]:
    keys = ["household", "unit"]
    return [
        *(BY_KEY[k].header for k in keys),
        "网格/社区名称",
        *(
            BY_KEY[k].header
            for k in (
                "address",
                "relation",
                "name",
                "gender",
                "birth_date",
                "id_number",
                "phone",
                "occupation",
            )
        ),
        "类别",
    ]


def start_export(
    user: User,
    residents: QuerySet[Resident],
    *,
    fmt: str,
    full: bool,
    filters: dict[str, Any],
    unit: Unit | None = None,
) -> Iterator[list[str]]:
    """Count (up to the cap), audit, and give the rows to write; raises ExportTooLarge."""
    count, capped = capped_count(residents, EXPORT_CAP)
    if capped:
        raise ExportTooLarge(
            _("More than %(n)s residents: narrow the list (by unit or category) to export it.")
            % {"n": f"{EXPORT_CAP:,}"}
        )
    scope = get_scope(user)
    audit.record(
        actor=user,
        action="residents.exported",
        unit=unit,
        data={
            "rows": count,
            "format": fmt,
            "full_values": full,
            "sensitive": scope.has_perm(Perm.RESIDENTS_VIEW_SENSITIVE),
            "filters": filters,
        },
    )
    return _rows(user, residents, full=full)


def _rows(user: User, residents: QuerySet[Resident], *, full: bool) -> Iterator[list[str]]:
    scope = get_scope(user)
    personal = scope.unit_paths(Perm.RESIDENTS_VIEW_PERSONAL) if full else ()
    sensitive = scope.unit_paths(Perm.RESIDENTS_VIEW_SENSITIVE)
    current = ResidentColour.objects.filter(
        ended_on__isnull=True, category__is_active=True
    ).select_related("category")
    rows = residents.select_related("unit", "household").prefetch_related(
        Prefetch("colours", queryset=current.order_by("category_id"), to_attr="current_colours")
    )
    for resident in rows.iterator(chunk_size=CHUNK):
        path = resident.unit.path
        in_full = any(path.startswith(root) for root in personal)
        sees_sensitive = any(path.startswith(root) for root in sensitive)
        categories = [
            row.category.name
            for row in resident.current_colours
            if sees_sensitive or not row.category.sensitive
        ]
        id_number, phone = resident.id_number, resident.phone
        yield [
            resident.household.code if resident.household else "",
            resident.unit.code,
            resident.unit.name,
            resident.address,
            resident.relation,
            resident.name,
            _GENDER.get(resident.gender, ""),
            resident.birth_date.isoformat() if resident.birth_date else "",
            id_number if in_full else (mask_id_number(id_number) if id_number else ""),
            phone if in_full else (mask_phone(phone) if phone else ""),
            resident.occupation,
            "；".join(categories),
        ]


__all__ = ["EXPORT_CAP", "FORMATS", "ExportTooLarge", "headers", "start_export"]
