"""Intake: every channel registers a matter here (staff forms, the portal, the square, the API).

Before a new matter is made, the same person's open matters are checked: a repeat of one of them is
folded into it (counted, the resident told where it stands) rather than registered again — also
when raised with a higher level (《信访工作条例》 Art. 19). A repeat of a concluded matter is
registered and declined at once with the reason (Art. 36). Possible duplicates from other people are
linked as candidates for staff to confirm or dismiss.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.core.crypto import blind_index
from xinkan.matters import text
from xinkan.matters.attachments import CheckedFile, check_files
from xinkan.matters.extra_fields import EXTRA_PREFIX, clean_answers
from xinkan.matters.models import (
    OPEN_STATES,
    Attachment,
    Category,
    Channel,
    LinkKind,
    Matter,
    MatterEvent,
    MatterLink,
    MatterPerson,
    PersonRole,
    Stage,
    State,
)
from xinkan.matters.services import _core
from xinkan.matters.services.notify import notify_unit_staff, tell_resident
from xinkan.org.models import LEVEL_RANK, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.residents.models import Resident

# Similarity (matters/text.py) above which the same person's open matter is the same matter, and
# above which another person's matter at the same place is shown as a possible duplicate. Chosen on
# the labelled pairs in tests/matters/data/duplicate_pairs.json (see test_duplicate_finder.py;
# 146 pairs, every 4th held out). Candidates lean to recall, as staff confirm or dismiss them:
# precision 0.90, recall 0.99 (held out 0.83 / 0.94). Folding a repeat hides the new matter, and a
# missed repeat still shows up as a candidate, so repeats lean to precision: 0.96 / 0.87 (held out
# 0.93 / 0.81).
REPEAT_THRESHOLD = 0.46
# The same words from the same person this soon after are the same submission sent again (the
# browser's back button and "submit" once more, a double-sent letter form), not a repeat visit.
RESUBMIT_WINDOW = dt.timedelta(minutes=10)
CANDIDATE_THRESHOLD = 0.36
CANDIDATE_WINDOW_DAYS = 90
CANDIDATE_SCAN_LIMIT = 300
MAX_REPRESENTATIVES = 5  # 《信访工作条例》 Art. 20
PHONE_PURPOSE = "phone"
ID_PURPOSE = "id_number"
PORTAL_PURPOSE = "portal_key"
PHONE_CHARACTERS = re.compile(r"[0-9+()\- ]+")


@dataclass
class Intake:
    channel: str
    category: Category
    description: str
    unit: Unit
    title: str = ""
    handling_unit: Unit | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    resident: Resident | None = None
    contact_name: str = ""
    contact_phone: str = ""
    id_number: str = ""
    anonymous: bool = False
    group_size: int = 1
    representatives: list[tuple[str, str]] = field(default_factory=list)
    co_signers: list[str] = field(default_factory=list)
    attachments: list[Any] = field(default_factory=list)
    idempotency_key: str | None = None
    registered_at: dt.datetime | None = None
    # Register even when the same person's concluded matter matches (staff saw new facts).
    new_facts: bool = False
    # For an anonymous portal submission without a phone: the key the resident follows it with.
    portal_key: str = ""
    # Answers to the category's extra fields by code, as given (checked by extra_fields.py).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class IntakeResult:
    matter: Matter
    created: bool
    folded: bool = False
    # The same submission sent again within minutes: nothing was counted.
    resubmitted: bool = False
    concluded_match: Matter | None = None
    candidates: list[tuple[Matter, float]] = field(default_factory=list)


def comparable_text(title: str, description: str) -> str:
    """What the duplicate finder compares of a matter (also the hot spots' clustering)."""
    return f"{title} {description}"


def community_of(unit: Unit) -> Unit:
    """The community (or village) containing `unit`, where small matters are settled (枫桥经验)."""
    if LEVEL_RANK[unit.level] <= LEVEL_RANK[Level.COMMUNITY]:
        return unit
    current: Unit | None = unit
    while current is not None and current.level != Level.COMMUNITY:
        current = current.parent
    return current or unit


def _validate(data: Intake, by: User | None) -> dict[str, Any]:
    """Refuses bad input with every problem at once; gives the cleaned extra answers."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not data.description.strip():
        add("description", _("Describe the matter."))
    elif len(data.description) > 5000:
        add("description", _("The description is longer than 5000 characters."))
    if data.channel not in Channel.values:
        add("channel", _("Unknown channel."))
    if not data.category.is_active:
        add("category", _("This category is no longer in use."))
    if not data.unit.is_active:
        add("unit", _("This place is no longer in use."))
    if data.anonymous and by is not None:
        add("anonymous", _("Only residents on the portal may stay anonymous."))
    found_by_staff = data.channel in {Channel.PATROL, Channel.PROACTIVE}
    has_requester = bool(data.resident or data.contact_name.strip() or data.contact_phone.strip())
    if not (data.anonymous or found_by_staff or has_requester):
        add(
            "contact_name", _("Give the resident's name or phone, or choose them from the archive.")
        )
    if data.contact_phone and not _plausible_phone(data.contact_phone):
        add("contact_phone", _("Enter a mobile number of 11 digits or a landline with area code."))
    if data.id_number:
        from xinkan.residents.identity import IdNumberError, parse_id_number

        try:
            parse_id_number(data.id_number)
        except IdNumberError as exc:
            add("id_number", str(exc))
    if data.group_size < 1:
        add("group_size", _("The number of people must be at least 1."))
    if len(data.representatives) > MAX_REPRESENTATIVES:
        add(
            "representatives",
            _("A group chooses at most %(n)d representatives.") % {"n": MAX_REPRESENTATIVES},
        )
    if data.representatives and data.group_size <= len(data.representatives):
        add("group_size", _("A group visit has more people than representatives."))
    if (data.latitude is None) != (data.longitude is None):
        add("latitude", _("Give both latitude and longitude, or neither."))
    extra: dict[str, Any] = {}
    try:
        extra = clean_answers(data.category, data.extra)
    except ValidationError as exc:
        for code, messages in exc.message_dict.items():
            for message in messages:
                add(f"{EXTRA_PREFIX}{code}", message)
    if errors:
        raise ValidationError(errors)
    return extra


def _plausible_phone(phone: str) -> bool:
    # Digits with the usual separators only: a letter is a typo, not part of a number.
    if not PHONE_CHARACTERS.fullmatch(phone.strip()):
        return False
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if digits.startswith("1"):  # mobile numbers have 11 digits
        return len(digits) == 11
    return 7 <= len(digits) <= 12


def _person_query(data: Intake) -> Q | None:
    query = Q()
    if data.resident is not None:
        query |= Q(resident=data.resident)
    if data.contact_phone:
        query |= Q(contact_phone_index=blind_index(data.contact_phone, PHONE_PURPOSE))
    if data.id_number:
        query |= Q(id_number_index=blind_index(data.id_number, ID_PURPOSE))
    return query if query else None


def _same_persons_matters(data: Intake) -> list[Matter]:
    """The same person's open and concluded matters, newest first (one indexed query)."""
    query = _person_query(data)
    if query is None:
        return []
    return list(
        Matter.objects.filter(query, state__in=OPEN_STATES | {State.CONCLUDED})
        .select_related("handling_unit", "category")
        .order_by("-registered_at")[:50]
    )


def _same_person_match(
    data: Intake, states: frozenset[str] | set[str], matters: list[Matter] | None = None
) -> tuple[Matter, float] | None:
    if matters is None:
        matters = _same_persons_matters(data)
    matters = [m for m in matters if m.state in states]
    if not matters:
        return None
    # Compared as stored: a matter registered without a title gets one from its description.
    title = data.title.strip() or _title_from(data.description)
    matches = text.best_matches(
        comparable_text(title, data.description.strip()),
        ((m.pk, comparable_text(m.title, m.description)) for m in matters),
        threshold=REPEAT_THRESHOLD,
        limit=1,
    )
    if not matches:
        return None
    by_id = {m.pk: m for m in matters}
    return by_id[matches[0][0]], matches[0][1]


def _registering_rank(by: User | None, unit: Unit) -> int | None:
    """How high the registering staff sits: the lowest unit of theirs covering the place."""
    if by is None:
        return None
    ranks = [
        LEVEL_RANK[level]
        for level in Unit.objects.filter(
            pk__in=[
                grant.unit_id
                for grant in get_scope(by).grants
                if grant.unit_id and grant.unit_path and unit.path.startswith(grant.unit_path)
            ]
        ).values_list("level", flat=True)
    ]
    return max(ranks) if ranks else None


def _check_scope(data: Intake, by: User | None) -> None:
    if by is None:
        if data.channel not in {Channel.ONLINE, Channel.SYSTEM, Channel.SQUARE}:
            raise PermissionDenied(_("Only staff register matters from this channel."))
        return
    if not get_scope(by).covers_unit(data.unit, Perm.MATTERS_REGISTER):
        raise _core.refuse(by, None, "register", _("You may not register matters for this place."))
    if data.handling_unit is not None and not get_scope(by).covers_unit(
        data.handling_unit, Perm.MATTERS_REGISTER
    ):
        raise _core.refuse(by, None, "register", _("You may not hand matters to that unit."))


def register_matter(data: Intake, *, by: User | None) -> IntakeResult:
    """Register a matter from any channel (see the module docstring for what may happen instead)."""
    data = dataclasses.replace(data, extra=_validate(data, by))
    if data.id_number:  # stored and indexed in one form, however it was typed
        from xinkan.residents.identity import parse_id_number

        data = dataclasses.replace(data, id_number=parse_id_number(data.id_number).value)
    _check_scope(data, by)
    checked = check_files(data.attachments)
    if data.idempotency_key:
        existing = Matter.objects.filter(idempotency_key=data.idempotency_key).first()
        if existing is not None:
            return IntakeResult(existing, created=False)
    try:
        with transaction.atomic():
            return _register(data, by, checked)
    except IntegrityError:
        # Two copies of the same submission raced; the first one won.
        if data.idempotency_key:
            existing = Matter.objects.filter(idempotency_key=data.idempotency_key).first()
            if existing is not None:
                return IntakeResult(existing, created=False)
        raise


def _register(data: Intake, by: User | None, checked: list[CheckedFile]) -> IntakeResult:
    own = _same_persons_matters(data)
    repeat = _same_person_match(data, OPEN_STATES, own)
    if repeat is not None:
        return _fold_repeat(data, by, repeat[0], repeat[1])
    concluded = None if data.new_facts else _same_person_match(data, {State.CONCLUDED}, own)

    now = data.registered_at or timezone.now()
    home = community_of(data.unit)
    handling = data.handling_unit or home
    rank = _registering_rank(by, data.unit)
    skip_level = (
        data.channel in {Channel.VISIT, Channel.LETTER, Channel.PHONE}
        and rank is not None
        and rank < LEVEL_RANK[Level.COMMUNITY]
        and data.handling_unit is None
    )
    title = data.title.strip() or _title_from(data.description)
    matter = Matter.objects.create(
        channel=data.channel,
        category=data.category,
        title=title,
        description=data.description.strip(),
        unit=data.unit,
        handling_unit=handling,
        address=data.address.strip(),
        latitude=data.latitude,
        longitude=data.longitude,
        resident=data.resident,
        contact_name=(data.contact_name.strip() or (data.resident.name if data.resident else "")),
        contact_phone=data.contact_phone.strip(),
        contact_phone_index=blind_index(data.contact_phone, PHONE_PURPOSE)
        if data.contact_phone
        else "",
        id_number=data.id_number.strip().upper(),
        id_number_index=blind_index(data.id_number, ID_PURPOSE) if data.id_number else "",
        anonymous=data.anonymous,
        portal_key_index=blind_index(data.portal_key, PORTAL_PURPOSE) if data.portal_key else "",
        group_size=data.group_size,
        extra=data.extra,
        registered_by=by,
        registered_at=now,
        skip_level=skip_level,
        search_text=text.search_text(title, data.description, data.address),
        idempotency_key=data.idempotency_key or None,
    )
    for name, phone in data.representatives:
        MatterPerson.objects.create(
            matter=matter, role=PersonRole.REPRESENTATIVE, name=name.strip(), phone=phone.strip()
        )
    for name in data.co_signers:
        MatterPerson.objects.create(matter=matter, role=PersonRole.CO_SIGNER, name=name.strip())
    for item in checked:
        save_attachment(matter, item, by=by)
    _core.event(
        matter,
        by=by,
        action="registered",
        to_state=State.REGISTERED,
        data={"channel": data.channel, "skip_level": skip_level, "attachments": len(checked)},
        public=True,
    )
    if skip_level:
        _core.event(
            matter,
            by=by,
            action="sent_down",
            note=_("Sent to %(unit)s, where it belongs; the registering level keeps following it.")
            % {"unit": handling.name},
            data={"to_unit": handling.pk},
        )
    _core.open_deadline(matter, Stage.RESPOND, start=now)
    _core.open_deadline(matter, Stage.ACCEPT, start=now)

    result = IntakeResult(matter, created=True)
    if concluded is not None:
        result.concluded_match = concluded[0]
        _decline_as_concluded(matter, concluded[0], by)
    else:
        result.candidates = _link_candidates(matter)
        notify_unit_staff(
            matter,
            handling,
            Perm.MATTERS_ACCEPT,
            kind="new",
            text=_("New matter %(code)s: %(title)s") % {"code": matter.code, "title": matter.title},
        )
    tell_resident(
        matter,
        _("Your matter has been registered under %(code)s. Keep this number to follow it.")
        % {"code": matter.code},
    )
    return result


def _title_from(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return first[:40] + ("…" if len(first) > 40 else "")


def _same_words(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def _resubmitted(data: Intake, existing: Matter) -> bool:
    """Whether the same person sent these very words to this matter in the last minutes."""
    since = (data.registered_at or timezone.now()) - RESUBMIT_WINDOW
    if existing.registered_at >= since and _same_words(data.description, existing.description):
        return True
    recent = MatterEvent.objects.filter(matter=existing, action="repeat_visit", at__gte=since)
    return any(
        _same_words(data.description[:2000], note) for note in recent.values_list("note", flat=True)
    )


def _fold_repeat(data: Intake, by: User | None, existing: Matter, score: float) -> IntakeResult:
    if (
        data.idempotency_key
        and MatterEvent.objects.filter(
            matter=existing, action="repeat_visit", data__idempotency_key=data.idempotency_key
        ).exists()
    ):
        return IntakeResult(existing, created=False, folded=True)  # a retry, already counted
    if _resubmitted(data, existing):
        return IntakeResult(existing, created=False, folded=True, resubmitted=True)
    Matter.objects.filter(pk=existing.pk).update(repeat_count=F("repeat_count") + 1)
    existing.repeat_count += 1
    higher = False
    rank = _registering_rank(by, existing.unit)
    if rank is not None and rank < LEVEL_RANK[existing.handling_unit.level]:
        higher = True
    _core.event(
        existing,
        by=by,
        action="repeat_visit",
        note=data.description.strip()[:2000],
        data={
            "channel": data.channel,
            "unit": data.unit.pk,
            "score": round(score, 3),
            "higher_level": higher,
            **({"idempotency_key": data.idempotency_key} if data.idempotency_key else {}),
        },
        public=True,
    )
    _core.bump_version(existing)
    tell_resident(
        existing,
        _(
            "Your matter %(code)s is already being followed (now: %(state)s). We have added what you told us."
        )
        % {"code": existing.code, "state": _core.state_label(existing.state)},
    )
    return IntakeResult(existing, created=False, folded=True)


def _decline_as_concluded(matter: Matter, concluded: Matter, by: User | None) -> None:
    note = _(
        "The same facts and reasons were concluded in %(code)s after review and re-review; "
        "they are not taken up again (《信访工作条例》 Art. 36)."
    ) % {"code": concluded.code}
    MatterLink.objects.create(matter=matter, other=concluded, kind=LinkKind.DUPLICATE, score=None)
    _core.transition(
        matter,
        to=State.DECLINED,
        expected={State.REGISTERED},
        by=by,
        action="declined",
        note=note,
        data={"concluded_matter": concluded.pk},
        public=True,
        updates={"closed_at": timezone.now()},
    )
    _core.cancel_deadlines(matter)


def _link_candidates(matter: Matter) -> list[tuple[Matter, float]]:
    found = find_candidates(matter)
    for other, score in found:
        MatterLink.objects.create(matter=matter, other=other, kind=LinkKind.CANDIDATE, score=score)
    return found


def find_candidates(matter: Matter) -> list[tuple[Matter, float]]:
    """Open matters at the same place and of the same category, from the last 90 days, whose text is
    similar: one indexed query (responsible unit, category, state) and a bounded comparison."""
    since = matter.registered_at - dt.timedelta(days=CANDIDATE_WINDOW_DAYS)
    nearby = list(
        Matter.objects.filter(
            handling_unit=matter.handling_unit,
            category=matter.category,
            state__in=OPEN_STATES,
            registered_at__gte=since,
        )
        .exclude(pk=matter.pk)
        .order_by("-registered_at")
        .only("pk", "title", "description", "registered_at", "state")[:CANDIDATE_SCAN_LIMIT]
    )
    matches = text.best_matches(
        comparable_text(matter.title, matter.description),
        ((m.pk, comparable_text(m.title, m.description)) for m in nearby),
        threshold=CANDIDATE_THRESHOLD,
    )
    by_id = {m.pk: m for m in nearby}
    return [(by_id[pk], score) for pk, score in matches]


def save_attachment(
    matter: Matter, item: CheckedFile, *, by: User | None, reply: Any = None
) -> Attachment:
    attachment = Attachment(
        matter=matter,
        reply=reply,
        original_name=item.name,
        content_type=item.kind.content_type,
        size=item.size,
        sha256=item.sha256,
        uploaded_by=by,
    )
    attachment.file.save(f"{item.kind.extension}", item.upload, save=False)
    attachment.save()
    return attachment
