"""The public affairs square (政务广场, DESIGN.md §1 practice 1): public sessions where department
leaders face residents, questions registered before or asked on the spot, and each answer given on
the spot (当场答复) or promised by a deadline (限期答复).

    session:  planned ─► open for questions ─► live ─► finished
    question: pending ─► queued ─► answered (on the spot)
                 │          └────► promised (a matter, followed until resolved)
                 ├─► declined (with a reason)
                 └─► merged (into the same question asked by someone else)

A promise becomes a matter (channel "square") through the matters services; whether it was kept is
read from that matter (resolved by the promised time), never stored twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.core.crypto import EncryptedTextField
from xinkan.matters.models import State as MatterState


class SessionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open for questions")
    LIVE = "live", _("Live")
    FINISHED = "finished", _("Finished")


# What residents may see: a planned session is still being prepared.
PUBLIC_SESSION_STATES = frozenset({SessionState.OPEN, SessionState.LIVE, SessionState.FINISHED})


class Session(models.Model):
    theme = models.CharField(_("theme"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200)
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("organising unit"),
        on_delete=models.PROTECT,
        related_name="square_sessions",
    )
    broadcast_media = models.CharField(_("broadcast by"), max_length=120, blank=True)
    broadcast_url = models.URLField(_("broadcast link"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=SessionState.choices, default=SessionState.PLANNED
    )
    attendance = models.PositiveIntegerField(_("participants"), default=0)
    # The question being answered now (shown on the live screen).
    current = models.ForeignKey(
        "Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A retried "plan a session" form (same key) returns the first session.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("square session")
        verbose_name_plural = _("square sessions")
        indexes = [models.Index(fields=["state", "starts_at"], name="square_session_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="square_session_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.theme

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_SESSION_STATES


class Panelist(models.Model):
    """A participating department and the leader who answers for it at this session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="panelists")
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="square_panels",
    )
    leader_name = models.CharField(_("leader who answers"), max_length=60)
    leader_title = models.CharField(_("post"), max_length=60, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "department"], name="square_panelist_one_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.leader_title}{self.leader_name}"

    @property
    def answerer(self) -> str:
        """ "住建局 王局长" style: the department's short name and the leader."""
        department = self.department.short_name or self.department.name
        return f"{department} {self.leader_name}{self.leader_title}"


class QuestionState(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    QUEUED = "queued", _("In the queue")
    DECLINED = "declined", _("Declined")
    MERGED = "merged", _("Merged into another question")
    ANSWERED = "answered", _("Answered on the spot")
    PROMISED = "promised", _("Promised by a deadline")


# Questions that count as asked at the session (moderated in, not folded into another).
COUNTED_STATES = frozenset({QuestionState.QUEUED, QuestionState.ANSWERED, QuestionState.PROMISED})
ANSWERED_STATES = frozenset({QuestionState.ANSWERED, QuestionState.PROMISED})


class Source(models.TextChoices):
    PORTAL = "portal", _("Sent in before the session")
    LIVE = "live", _("Asked at the session")


class OnSpot(models.TextChoices):
    SOLVED = "solved", _("Solved on the spot")
    EXPLAINED = "explained", _("Explained on the spot")


class Question(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=QuestionState.choices, default=QuestionState.PENDING
    )
    text = models.TextField(_("question"))
    # Personal data: never shown on public pages (see `public_asker`).
    asker_name = models.CharField(_("asker's name"), max_length=60, blank=True)
    asker_phone = EncryptedTextField(_("asker's phone"), blank=True)
    community = models.ForeignKey(
        "org.Unit",
        verbose_name=_("community or village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    panelist = models.ForeignKey(
        Panelist,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questions",
    )
    # Order of answering within the session's queue (smaller first).
    position = models.PositiveIntegerField(default=0)
    decline_reason = models.TextField(blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    # The department's draft, prepared before the session.
    prepared_answer = models.TextField(blank=True)
    answer = models.TextField(_("answer"), blank=True)
    on_spot = models.CharField(max_length=16, choices=OnSpot.choices, blank=True)
    # A promise: the end of the promised day, and the matter that follows it.
    promised_by = models.DateTimeField(null=True, blank=True, db_index=True)
    matter = models.ForeignKey(
        "matters.Matter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="square_questions",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("square question")
        verbose_name_plural = _("square questions")
        indexes = [
            models.Index(fields=["session", "state", "position"], name="square_question_queue"),
            models.Index(fields=["panelist", "state"], name="square_question_panelist"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="promised") | Q(promised_by__isnull=False),
                name="square_promise_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(state="answered") | ~Q(on_spot=""),
                name="square_answer_has_kind",
            ),
            models.CheckConstraint(
                condition=~Q(state="merged") | Q(merged_into__isnull=False),
                name="square_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def promise_status(self) -> str | None:
        return promise_status(self)


# --- Promises: kept or not, read from the matter ---------------------------------------------------


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Being handled")
    KEPT = "kept", _("Kept on time")
    LATE = "late", _("Resolved late")
    OVERDUE = "overdue", _("Overdue")
    UNRESOLVED = "unresolved", _("Closed unresolved")


BROKEN = frozenset({PromiseStatus.LATE, PromiseStatus.OVERDUE, PromiseStatus.UNRESOLVED})
RESOLVED_STATES = frozenset({MatterState.RESOLVED, MatterState.CONCLUDED})


def _resolved_q(prefix: str) -> Q:
    """The matter at `prefix` was resolved (closed as solved, or closed without a dissatisfied
    word): a matter closed after the resident said "dissatisfied" is not a kept promise."""
    return Q(**{f"{prefix}state__in": sorted(RESOLVED_STATES)}) & ~Q(**{f"{prefix}solved": False})


# A promise is kept when its matter (or the matter it was merged into) was resolved by the
# promised time. Used in every count, so lists, summaries and indicators agree.
KEPT_Q = Q(state=QuestionState.PROMISED) & (
    (_resolved_q("matter__") & Q(matter__closed_at__lte=F("promised_by")))
    | (
        Q(matter__state=MatterState.MERGED)
        & _resolved_q("matter__merged_into__")
        & Q(matter__merged_into__closed_at__lte=F("promised_by"))
    )
)


def promise_status(question: Question, now: dt.datetime | None = None) -> str | None:
    """The promise's status from its matter (load it with `select_related("matter__merged_into")`),
    the same rule as `KEPT_Q`; None when the question holds no promise."""
    if question.state != QuestionState.PROMISED or question.promised_by is None:
        return None
    matter = question.matter
    if matter is not None and matter.state == MatterState.MERGED and matter.merged_into_id:
        matter = matter.merged_into
    due = question.promised_by
    if matter is None:
        return PromiseStatus.PENDING if (now or timezone.now()) <= due else PromiseStatus.OVERDUE
    if matter.is_open:
        return PromiseStatus.PENDING if (now or timezone.now()) <= due else PromiseStatus.OVERDUE
    if matter.state in RESOLVED_STATES and matter.solved is not False:
        if matter.closed_at is not None and matter.closed_at <= due:
            return PromiseStatus.KEPT
        return PromiseStatus.LATE
    return PromiseStatus.UNRESOLVED


def public_asker(name: str) -> str:
    """An asker as public pages show them: the surname and stars (王**), or "a resident"."""
    name = name.strip()
    if not name:
        return str(_("A resident"))
    return f"{name[0]}**"
