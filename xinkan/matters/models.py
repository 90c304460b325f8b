"""Citizen matters (诉求 / 信访事项): what a resident brings, followed until solved and accepted.

The flow (DESIGN.md §5, 《信访工作条例》):

    registered ─► accepted ─► dispatched ─► handling ─► replied ─► resolved
        │            │  └──► handling (the unit handles it itself)   │
        └► declined  │                                                └─► review ─► replied ─► rereview ─► concluded
        └► merged (a repeat folded into an open matter)

Every transition is one service function (matters/services/*.py) and one `MatterEvent` row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.core.crypto import EncryptedTextField
from xinkan.matters.extra_fields import display, validate_definition


class Channel(models.TextChoices):
    VISIT = "visit", _("Visit in person")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone call")
    ONLINE = "online", _("Online")
    SQUARE = "square", _("Public affairs square")
    PATROL = "patrol", _("Grid patrol")
    PROACTIVE = "proactive", _("Found proactively")
    SYSTEM = "system", _("Other system")


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Being handled")
    REPLIED = "replied", _("Replied")
    RESOLVED = "resolved", _("Resolved")
    REVIEW = "review", _("Under review")
    REREVIEW = "rereview", _("Under re-review")
    CONCLUDED = "concluded", _("Concluded")
    MERGED = "merged", _("Merged into another matter")


OPEN_STATES = frozenset(
    {
        State.REGISTERED,
        State.ACCEPTED,
        State.DISPATCHED,
        State.HANDLING,
        State.REPLIED,
        State.REVIEW,
        State.REREVIEW,
    }
)
CLOSED_STATES = frozenset({State.DECLINED, State.RESOLVED, State.CONCLUDED, State.MERGED})


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    MOSTLY = "mostly", _("Mostly satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Outcome(models.TextChoices):
    """《信访工作条例》 Art. 32: the written opinion supports, explains, or does not support."""

    SUPPORTED = "supported", _("Request supported")
    EXPLAINED = "explained", _("Explained")
    NOT_SUPPORTED = "not_supported", _("Request not supported")


class Category(models.Model):
    """A configurable tree of matter categories (data, with names in Chinese and English)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Extra fields this category asks for at intake (Open311 service attributes): a list of
    # definitions, checked by matters/extra_fields.py:validate_definition.
    extra_fields = models.JSONField(_("extra fields"), default=list, blank=True)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name

    def clean(self) -> None:
        try:
            self.extra_fields = validate_definition(self.extra_fields)
        except ValidationError as exc:
            raise ValidationError({"extra_fields": exc.messages}) from exc


class Matter(models.Model):
    # The code shown to people ("XK-2026-000123") is derived from the year and the id: see `code`.
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.REGISTERED
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="matters"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    # Where the matter arises (grid or community) and who is responsible for it now.
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("place"), on_delete=models.PROTECT, related_name="matters"
    )
    handling_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="handled_matters",
    )
    lead_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_matters",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    # Who brought it: a resident from the archive, or a contact given at intake, or nobody (anonymous).
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matters",
    )
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    contact_phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # An anonymous resident without a phone follows the matter with a key shown once (keyed hash).
    portal_key_index = models.CharField(max_length=64, blank=True, db_index=True)
    # Joint and group petitions (联名 / 集体访): how many people, representatives in MatterPerson.
    group_size = models.PositiveIntegerField(_("number of people"), default=1)
    # Answers to the category's extra fields, by field code (cleaned by matters/extra_fields.py).
    extra = models.JSONField(_("extra fields"), default=dict, blank=True)

    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registered_matters",
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Counted as solved by the resident (satisfied / mostly) or by the reviewer.
    solved = models.BooleanField(null=True, blank=True)
    last_rating = models.CharField(max_length=16, choices=Rating.choices, blank=True)
    # 0: the first handling; 1: after review (复查); 2: after re-review (复核).
    review_round = models.PositiveSmallIntegerField(default=0)
    repeat_count = models.PositiveIntegerField(_("repeat visits"), default=0)
    skip_level = models.BooleanField(_("skip-level visit"), default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_matters"
    )
    # Text segmented with jieba, for full-text search and duplicate detection.
    search_text = models.TextField(blank=True, editable=False)
    # A retried submission (same key) returns the first matter instead of creating another.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Optimistic concurrency: every transition bumps it; a stale form gets "changed by someone else".
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        indexes = [
            models.Index(fields=["handling_unit", "state"], name="matter_handling_state"),
            models.Index(fields=["lead_department", "state"], name="matter_dept_state"),
            # Duplicate candidates at intake: open matters of a responsible unit and category, newest first.
            models.Index(
                fields=["handling_unit", "category", "-registered_at"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="matter_open_candidates",
            ),
            models.Index(fields=["state", "-registered_at"], name="matter_state_recent"),
            # Open matters, oldest first (the overdue and supervised lists of a dashboard): a walk
            # over the open ones only — among a city's oldest matters one in a hundred is open.
            models.Index(
                fields=["registered_at", "id"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="matter_open_oldest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(group_size__gte=1), name="matter_group_size_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        year = timezone.localtime(self.registered_at).year if self.registered_at else 0
        return format_code(year, self.pk or 0)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def extra_answers(self) -> list[tuple[str, str]]:
        """(label, value) of the answers to the category's extra fields, for pages."""
        return display(self.category, self.extra) if self.extra else []


CODE_PREFIX = "XK"


def format_code(year: int, pk: int) -> str:
    return f"{CODE_PREFIX}-{year}-{pk:06d}"


def parse_code(code: str) -> tuple[int, int] | None:
    """(year, id) from "XK-2026-000123", or None if it is not a matter code."""
    parts = code.strip().upper().split("-")
    if (
        len(parts) != 3
        or parts[0] != CODE_PREFIX
        or not parts[1].isdigit()
        or not parts[2].isdigit()
    ):
        return None
    return int(parts[1]), int(parts[2])


class PersonRole(models.TextChoices):
    REPRESENTATIVE = "representative", _("Representative")
    CO_SIGNER = "co_signer", _("Co-signer")


class MatterPerson(models.Model):
    """Representatives of a group visit (at most five, Art. 20) and co-signers of a joint letter."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(max_length=16, choices=PersonRole.choices)
    name = models.CharField(_("name"), max_length=60)
    phone = EncryptedTextField(_("phone"), blank=True)
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    CO = "co", _("Co-handling")


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Waiting to be signed for")
    SIGNED = "signed", _("Signed for")
    REPORTED = "reported", _("Reported to the lead")
    OBJECTED = "objected", _("Dispatch objected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Assignment(models.Model):
    """A department's part in a matter: the lead (首接负责) or a co-handler reporting to it."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(max_length=8, choices=AssignmentRole.choices)
    state = models.CharField(
        max_length=16, choices=AssignmentState.choices, default=AssignmentState.PENDING
    )
    report = models.TextField(blank=True)
    assigned_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "department"],
                condition=~Q(state="withdrawn"),
                name="assignment_one_live_per_department",
            ),
            models.UniqueConstraint(
                fields=["matter"],
                condition=Q(role="lead") & ~Q(state="withdrawn"),
                name="assignment_one_live_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} → {self.department_id} ({self.role})"


class MatterEvent(models.Model):
    """One row per transition and per notable fact: the matter's history, never overwritten."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=State.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Shown to the resident on the portal (a decline reason, a reply) or internal only.
    public = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["matter", "at"], name="matter_event_timeline")]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        from xinkan.audit.labels import label_for

        return label_for(f"matters.{self.action}")


class Reply(models.Model):
    """A written answer: the first reply, a review decision, or a re-review decision."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="replies")
    round = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    text = models.TextField(_("reply"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.matter_id} reply {self.round}"


class FollowUp(models.Model):
    """回访: the resident's rating of a reply, recorded by staff or by the resident on the portal."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="follow_ups")
    reply = models.ForeignKey(Reply, on_delete=models.PROTECT, related_name="follow_ups")
    rating = models.CharField(max_length=16, choices=Rating.choices)
    comment = models.TextField(blank=True)
    contacted = models.BooleanField(default=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_resident = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reply"], name="follow_up_one_per_reply"),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.rating}"


class Stage(models.TextChoices):
    RESPOND = "respond", _("First response")
    ACCEPT = "accept", _("Decide on acceptance")
    HANDLE = "handle", _("Handle and reply")
    FOLLOW_UP = "follow_up", _("Follow up with the resident")
    REVIEW = "review", _("Decide the review")
    REREVIEW = "rereview", _("Decide the re-review")
    PROXY = "proxy", _("Handle on the resident's behalf")


class Deadline(models.Model):
    """One deadline of one matter. The sweep scans open deadlines by `due_at` (an index range)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="deadlines")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)
    extended_days = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(
                fields=["warn_at"],
                condition=Q(met_at__isnull=True, cancelled=False, reminded_at__isnull=True),
                name="deadline_to_remind",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, cancelled=False, overdue_at__isnull=True),
                name="deadline_to_mark_overdue",
            ),
            models.Index(fields=["matter", "stage"], name="deadline_matter_stage"),
            # The "overdue" and "due soon" lists: open deadlines by due time.
            models.Index(
                fields=["due_at", "matter"],
                condition=Q(met_at__isnull=True, cancelled=False),
                name="deadline_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.stage} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and not self.cancelled


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("Hours")
    DAYS = "days", _("Calendar days")
    WORKING_DAYS = "working_days", _("Working days")


class DeadlinePolicy(models.Model):
    """How long a stage may take: per stage, optionally per category and per unit (and its subtree).

    The most specific policy wins (deepest unit, then deepest category). Defaults come from
    《信访工作条例》 (migration 0002); a unit may set shorter limits for itself.
    """

    stage = models.CharField(max_length=16, choices=Stage.choices)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.CASCADE)
    amount = models.PositiveIntegerField()
    time_unit = models.CharField(max_length=16, choices=TimeUnit.choices, default=TimeUnit.DAYS)
    # How long before the deadline to remind, in hours.
    warn_hours = models.PositiveIntegerField(default=48)
    # For HANDLE: the longest extension that may be approved (Art. 34: 30 days).
    max_extension_days = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            # One policy per stage, category (or none) and unit (or none); NULL counts as a value.
            models.UniqueConstraint(
                models.F("stage"),
                Coalesce("category", 0),
                Coalesce("unit", 0),
                name="deadline_policy_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.amount} {self.time_unit}"


class Supervision(models.Model):
    """督办: an overdue deadline raised to the level above. One per deadline, however many sweeps."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="supervisions")
    deadline = models.OneToOneField(Deadline, on_delete=models.CASCADE, related_name="supervision")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="supervisions")
    raised_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.matter_id} supervised by {self.unit_id}"


class ExtensionRequest(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="extension_requests")
    days = models.PositiveSmallIntegerField()
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    approved = models.BooleanField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter"], condition=Q(approved__isnull=True), name="one_open_extension"
            )
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} +{self.days}d"


class Objection(models.Model):
    """派单异议: a department says it was wrongly chosen; the dispatcher decides."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="objections")
    reason = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    upheld = models.BooleanField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"objection to assignment {self.assignment_id}"


class CompanionMode(models.TextChoices):
    PROXY = "proxy", _("Handle for the resident (代办)")
    ACCOMPANY = "accompany", _("Accompany the resident (陪办)")


class Companion(models.Model):
    """带办陪访: a cadre who handles the matter for the resident or goes with them, up the levels."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="companions")
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accompanied_matters"
    )
    mode = models.CharField(max_length=16, choices=CompanionMode.choices)
    since = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "cadre"], condition=Q(active=True), name="one_active_companion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id} with {self.matter_id} ({self.mode})"


class AccompaniedVisit(models.Model):
    """One visit made with the resident: where, to which department, whom they met, what was said."""

    companion = models.ForeignKey(Companion, on_delete=models.CASCADE, related_name="visits")
    at = models.DateTimeField()
    place = models.CharField(max_length=120)
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    met = models.CharField(max_length=120, blank=True)
    summary = models.TextField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.place} {self.at:%Y-%m-%d}"


class LinkKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Same matter")
    RELATED = "related", _("Related matter")
    CANDIDATE = "candidate", _("Possible duplicate")
    DISMISSED = "dismissed", _("Not a duplicate")


class MatterLink(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "other"], name="matter_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.kind} {self.other_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name: a random name under a dated folder, outside the static tree.
    import uuid

    return f"matters/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """An in-app notice to a member of staff (new work, due soon, overdue, supervision)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    matter = models.ForeignKey(
        Matter, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24)
    text = models.CharField(max_length=300)
    # Where the notice leads when it is not about a matter (a dispute, a pairing, ...).
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Stops a retried sweep from notifying twice about the same fact.
    dedupe_key = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    def __str__(self) -> str:
        return self.text
