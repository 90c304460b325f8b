"""Deciding on possible duplicates found at intake: link, merge, or dismiss."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.matters.models import OPEN_STATES, LinkKind, Matter, MatterLink, State
from xinkan.matters.services import _core
from xinkan.matters.services._core import InvalidTransition
from xinkan.org.roles import Perm

if TYPE_CHECKING:
    from xinkan.accounts.models import User


@_core.atomic_service
def decide_candidate(link: MatterLink, *, by: User, kind: str) -> MatterLink:
    """Mark a candidate as the same matter, a related matter, or not a duplicate."""
    if kind not in {LinkKind.DUPLICATE, LinkKind.RELATED, LinkKind.DISMISSED}:
        raise InvalidTransition(_("Choose: same matter, related, or not a duplicate."))
    matter = link.matter
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "link")
    changed = MatterLink.objects.filter(pk=link.pk, kind=LinkKind.CANDIDATE).update(kind=kind)
    if changed != 1:
        raise InvalidTransition(_("This candidate has already been decided."))
    link.kind = kind
    _core.event(
        matter, by=by, action=f"link_{kind}", data={"other": link.other_id, "score": link.score}
    )
    _core.bump_version(matter)
    return link


@_core.atomic_service
def link_related(matter: Matter, others: Iterable[Matter], *, by: User, note: str = "") -> int:
    """Mark `others` as related to `matter` (the reports behind a proactive matter, a shared problem
    followed as one), each listed on the matter's page: one history row for all of them. A pending
    candidate among them is decided as related; a decided link stays as it was. Only matters the
    user may see are linked. Returns how many links were added or decided."""
    from xinkan.matters.selectors import matters_for

    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "link")
    wanted = {other.pk for other in others} - {matter.pk}
    visible = set(matters_for(by).filter(pk__in=wanted).values_list("pk", flat=True))
    existing = dict(
        MatterLink.objects.filter(matter=matter, other_id__in=visible).values_list(
            "other_id", "kind"
        )
    )
    decided = [pk for pk, kind in existing.items() if kind == LinkKind.CANDIDATE]
    MatterLink.objects.filter(matter=matter, other_id__in=decided).update(kind=LinkKind.RELATED)
    added = sorted(visible - existing.keys())
    MatterLink.objects.bulk_create(
        [MatterLink(matter=matter, other_id=pk, kind=LinkKind.RELATED) for pk in added]
    )
    changed = sorted([*added, *decided])
    if not changed:
        return 0
    _core.event(matter, by=by, action="link_related", note=note, data={"others": changed})
    _core.bump_version(matter)
    return len(changed)


@_core.atomic_service
def merge_into(matter: Matter, *, target: Matter, by: User, version: int | None = None) -> Matter:
    """Fold `matter` into `target` (a shared problem raised by several residents): one matter to
    follow; the merged one tells its resident where it now stands."""
    _core.require_unit_perm(by, matter, Perm.MATTERS_ACCEPT, "merge")
    _core.require_unit_perm(by, target, Perm.MATTERS_ACCEPT, "merge")
    if target.pk == matter.pk or target.state not in OPEN_STATES:
        raise InvalidTransition(_("A matter can only be merged into another open matter."))
    _core.transition(
        matter,
        to=State.MERGED,
        expected=OPEN_STATES,
        by=by,
        action="merged",
        version=version,
        note=_("Merged into %(code)s") % {"code": target.code},
        data={"into": target.pk},
        public=True,
        updates={"merged_into": target, "closed_at": timezone.now()},
    )
    _core.cancel_deadlines(matter)
    MatterLink.objects.update_or_create(
        matter=matter, other=target, defaults={"kind": LinkKind.DUPLICATE}
    )
    Matter.objects.filter(pk=target.pk).update(
        repeat_count=F("repeat_count") + 1 + matter.repeat_count
    )
    _core.event(target, by=by, action="absorbed", data={"merged": matter.pk})
    _core.bump_version(target)
    return matter
