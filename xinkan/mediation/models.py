"""Disputes (矛盾纠纷) and their mediation up the four-step ladder (四步一站).

A dispute climbs: ① the ten-household mediator of the parties' grid → ② the village or residents'
committee → ③ a professional lawyer from the roster → ④ the town or subdistrict mediation committee
with lawyers in joint consultation (the station). Each climb is a `StepRecord`; what happened at a
step is its `Session`s; a settlement is an `Agreement` with its terms. History is never overwritten:
every fact is a `DisputeEvent` row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinkan.core.crypto import EncryptedTextField

CODE_PREFIX = "TJ"


class DisputeType(models.TextChoices):
    NEIGHBOURS = "neighbours", _("Neighbours")
    FAMILY = "family", _("Family and marriage")
    LAND = "land", _("Land and housing sites")
    PROPERTY = "property", _("Property management")
    LABOUR = "labour", _("Labour and wages")
    CONTRACT = "contract", _("Contracts and debts")
    DAMAGES = "damages", _("Damage compensation")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    PATROL = "patrol", _("Grid patrol")
    REQUEST = "request", _("A resident's request")
    MATTER = "matter", _("Referred from a matter")
    POLICE = "police", _("Referred by the police")
    COURT = "court", _("Referred by a court")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    # Threats of violence: immediate attention, the police told (《人民调解法》 Art. 25).
    VIOLENCE = "violence", _("Risk of violence")


class Step(models.IntegerChoices):
    TEN_HOUSEHOLD = 1, _("① Ten-household mediator")
    COMMITTEE = 2, _("② Village or residents' committee")
    LAWYER = 3, _("③ Professional lawyer")
    STATION = 4, _("④ Mediation committee with lawyers (the station)")


class State(models.TextChoices):
    MEDIATING = "mediating", _("Being mediated")
    SETTLED = "settled", _("Settled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REFERRED = "referred", _("Referred elsewhere")


OPEN_STATES = frozenset({State.MEDIATING})


class Referral(models.TextChoices):
    ARBITRATION = "arbitration", _("Arbitration")
    LITIGATION = "litigation", _("Litigation")
    PETITION = "petition", _("Letters and visits")


class Dispute(models.Model):
    code_year = models.PositiveSmallIntegerField(editable=False)
    dispute_type = models.CharField(
        _("type of dispute"), max_length=16, choices=DisputeType.choices
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    source_matter = models.ForeignKey(
        "matters.Matter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disputes",
        verbose_name=_("from matter"),
    )
    title = models.CharField(_("title"), max_length=120)
    # Where it happened: the grid (or community) of the parties, and the street address.
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="disputes", verbose_name=_("place")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.MEDIATING
    )
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    # The unit responsible now: the grid, the community, or the subdistrict (steps ③ and ④).
    responsible_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="responsible_disputes"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    settled_step = models.PositiveSmallIntegerField(null=True, blank=True, choices=Step.choices)
    referral = models.CharField(max_length=16, choices=Referral.choices, blank=True)
    referral_note = models.TextField(blank=True)
    referral_matter = models.ForeignKey(
        "matters.Matter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The registration form's key: a retried POST finds the dispute instead of making a second.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # Bumped by every change: a form loaded before someone else's change is refused, not applied.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["responsible_unit", "state"], name="dispute_unit_state"),
            models.Index(fields=["unit", "-registered_at"], name="dispute_place_recent"),
            # The indicators' cohort: the disputes registered in a period, whatever their unit.
            models.Index(fields=["registered_at"], name="dispute_registered"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return format_code(self.code_year, self.pk or 0)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def format_code(year: int, pk: int) -> str:
    return f"{CODE_PREFIX}-{year}-{pk:06d}"


def parse_code(text: str) -> tuple[int, int] | None:
    parts = text.strip().upper().split("-")
    if len(parts) != 3 or parts[0] != CODE_PREFIX or not (parts[1] + parts[2]).isdigit():
        return None
    return int(parts[1]), int(parts[2])


class Party(models.Model):
    """当事人: a resident from the archives or someone given by name and contact."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    # 甲, 乙, 丙 …: the side, in the order given.
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=60)
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    representative = models.CharField(_("representative"), max_length=60, blank=True)
    # The facts as this side tells them.
    statement = models.TextField(_("what this side says"), blank=True)

    class Meta:
        ordering = ["dispute", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "position"], name="party_position_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def side(self) -> str:
        return SIDES[self.position - 1] if 0 < self.position <= len(SIDES) else str(self.position)


SIDES = "甲乙丙丁戊己庚辛壬癸"


class StepRecord(models.Model):
    """One step of the ladder for one dispute: who mediates, how it ended."""

    class Outcome(models.TextChoices):
        ONGOING = "ongoing", _("Ongoing")
        SETTLED = "settled", _("Settled")
        NOT_SETTLED = "not_settled", _("Not settled")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField(choices=Step.choices)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.ONGOING)
    # Why the dispute starts at this step (above ①), or why it was not settled here.
    start_reason = models.TextField(blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["dispute", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"],
                condition=Q(outcome="ongoing"),
                name="one_ongoing_step_per_dispute",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} step {self.step} {self.outcome}"


class Mediator(models.Model):
    """A person mediating at a step: the grid's ten-household mediator, a committee member, a
    lawyer from the roster, or a member of the station's joint consultation."""

    class Kind(models.TextChoices):
        MEDIATOR = "mediator", _("Mediator")
        LAWYER = "lawyer", _("Lawyer")

    step_record = models.ForeignKey(StepRecord, on_delete=models.CASCADE, related_name="mediators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mediations"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MEDIATOR)
    active = models.BooleanField(default=True)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step_record", "user"], name="mediator_once_per_step")
        ]
        indexes = [models.Index(fields=["user", "active"], name="mediator_load")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.step_record_id}"


class Representation(models.Model):
    """A lawyer's earlier client: such a lawyer is never assigned to mediate that person's dispute
    (conflict of interest). Matched by resident, ID number or phone."""

    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="representations"
    )
    client_name = models.CharField(_("client"), max_length=60)
    resident = models.ForeignKey(
        "residents.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    note = models.CharField(_("matter"), max_length=200, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.lawyer_id}: {self.client_name}"


class Session(models.Model):
    """A mediation session (调解会): planned (the station's calendar) or held, with its record."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    step_record = models.ForeignKey(StepRecord, on_delete=models.CASCADE, related_name="sessions")
    at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=120)
    attendees = models.TextField(_("attendees"), blank=True)
    statements = models.TextField(_("what each side said"), blank=True)
    proposals = models.TextField(_("proposals"), blank=True)
    held = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="session_calendar")]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.at:%Y-%m-%d %H:%M}"


class Agreement(models.Model):
    """调解协议书 (written) or the record of an oral agreement (《人民调解法》 Art. 28-29)."""

    class Kind(models.TextChoices):
        WRITTEN = "written", _("Written agreement")
        ORAL = "oral", _("Oral agreement")

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    step_record = models.ForeignKey(StepRecord, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    number = models.CharField(_("document number"), max_length=40, blank=True)
    facts = models.TextField(_("main facts of the dispute"))
    points_at_issue = models.TextField(_("points at issue"))
    responsibilities = models.TextField(_("responsibilities of each side"), blank=True)
    performance = models.TextField(_("how and by when it is performed"), blank=True)
    signed_on = models.DateField(_("signed on"))
    # Judicial confirmation (司法确认, Art. 33): may be asked jointly within 30 days.
    confirmation_due = models.DateField()
    confirmation_reminded_at = models.DateTimeField(null=True, blank=True)
    confirmation_applied = models.BooleanField(null=True)
    confirmation_note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.number or f"agreement {self.pk}"


class Term(models.Model):
    """One agreed term: what, how, by when, and whether it was performed."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="terms")
    position = models.PositiveSmallIntegerField()
    text = models.TextField(_("term"))
    how = models.CharField(_("how"), max_length=200, blank=True)
    due = models.DateField(_("by"), null=True, blank=True)
    performed = models.BooleanField(null=True)
    performed_noted_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agreement", "position"]
        indexes = [
            models.Index(
                fields=["due"],
                condition=Q(performed__isnull=True, reminded_at__isnull=True),
                name="term_to_remind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}.{self.position}"


class StepLimit(models.Model):
    """How long a step may take, as data: per step, for a unit and its subtree or everywhere.
    The deepest unit wins; `mediation/limits.py` holds the defaults."""

    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("unit")
    )
    amount = models.PositiveIntegerField(_("amount"))
    time_unit = models.CharField(
        _("counted in"),
        max_length=16,
        choices=[("days", _("Calendar days")), ("working_days", _("Working days"))],
        default="days",
    )
    warn_hours = models.PositiveIntegerField(_("remind hours before"), default=48)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "unit"], name="step_limit_unique_per_unit"),
            models.UniqueConstraint(
                fields=["step"], condition=Q(unit__isnull=True), name="step_limit_unique_default"
            ),
        ]

    def __str__(self) -> str:
        return f"step {self.step}: {self.amount} {self.time_unit}"


class StepDeadline(models.Model):
    """The time limit of one step; the sweep reminds, marks overdue and raises supervision."""

    step_record = models.OneToOneField(
        StepRecord, on_delete=models.CASCADE, related_name="deadline"
    )
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="deadlines")
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    # The level above, told that the step is overdue (督办); set once, by one sweep.
    supervised_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["warn_at"],
                condition=Q(met_at__isnull=True, reminded_at__isnull=True),
                name="stepdeadline_to_remind",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, overdue_at__isnull=True),
                name="stepdeadline_to_mark",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} due {self.due_at:%Y-%m-%d}"


class DisputeEvent(models.Model):
    """One fact in a dispute's history (never changed)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    step = models.PositiveSmallIntegerField(null=True, blank=True, choices=Step.choices)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dispute", "at"], name="dispute_event_time")]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.action}"

    @property
    def label(self) -> str:
        from xinkan.audit.labels import label_for

        return label_for(f"mediation.{self.action}")
