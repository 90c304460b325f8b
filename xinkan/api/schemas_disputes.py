"""Shapes of the disputes endpoints (OpenAPI components): what a dispute reads like, and what
registering one and acting on it take."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from xinkan.api.schemas import MAX_INT, Input, LocalDatetime, PageMeta
from xinkan.mediation.models import Agreement, DisputeType, Referral, Source, Urgency
from xinkan.mediation.services.agreements import MAX_TERMS
from xinkan.mediation.services.register import MAX_PARTIES


class DisputeOut(Schema):
    id: int
    code: str
    title: str
    dispute_type: str
    source: str
    state: str
    step: int
    urgency: str
    unit_id: int
    responsible_unit_id: int
    registered_at: dt.datetime
    updated_at: dt.datetime
    ended_at: dt.datetime | None
    settled_step: int | None
    referral: str
    version: int


class PartyOut(Schema):
    position: int
    name: str
    resident_id: int | None
    phone: str = Field(description="Always masked.")
    id_number: str = Field(description="Always masked.")
    representative: str
    statement: str


class StepOut(Schema):
    step: int
    unit_id: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: str


class SessionOut(Schema):
    id: int
    step: int
    at: dt.datetime
    place: str
    held: bool
    attendees: str
    statements: str
    proposals: str


class DisputeEventOut(Schema):
    at: dt.datetime
    action: str
    label: str
    step: int | None
    note: str
    actor: str


class TermOut(Schema):
    position: int
    text: str
    how: str
    due: dt.date | None
    performed: bool | None


class AgreementOut(Schema):
    kind: str
    number: str
    signed_on: dt.date
    confirmation_due: dt.date
    terms: list[TermOut]


class DisputeDetailOut(DisputeOut):
    address: str
    parties: list[PartyOut]
    steps: list[StepOut]
    sessions: list[SessionOut]
    agreement: AgreementOut | None
    timeline: list[DisputeEventOut]


class DisputePage(Schema):
    meta: PageMeta
    items: list[DisputeOut]


# --- Input ---------------------------------------------------------------------------------------


class PartyIn(Input):
    name: str = Field(..., min_length=1, max_length=60)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=18)
    representative: str = Field("", max_length=60)
    statement: str = Field("", max_length=2000, description="The facts as this side tells them.")


class DisputeIn(Input):
    """The registration form's fields (the staff page's "register a dispute")."""

    dispute_type: DisputeType
    source: Source
    title: str = Field(..., min_length=1, max_length=120)
    unit: int = Field(..., ge=1, le=MAX_INT, description="The grid or community of the parties.")
    parties: list[PartyIn] = Field(..., max_length=MAX_PARTIES, description="At least two.")
    address: str = Field("", max_length=200)
    urgency: Urgency = Urgency.NORMAL
    source_matter: int | None = Field(
        None, ge=1, le=MAX_INT, description="The matter it comes from (source “matter”)."
    )
    start_step: int = Field(
        1, ge=1, le=4, description="Above ① only with mediation.manage and a reason."
    )
    start_reason: str = Field("", max_length=500)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "dispute_type": "neighbours",
                    "source": "patrol",
                    "title": "3号楼装修材料堆放楼道引发邻里纠纷",
                    "unit": 4,
                    "address": "建设路1号3单元",
                    "parties": [
                        {"name": "王建军", "phone": "13811112222", "statement": "楼道被占"},
                        {"name": "李红梅", "statement": "只是临时堆放"},
                    ],
                }
            ]
        }
    }


class DisputeVersioned(Input):
    version: int | None = Field(
        None,
        ge=0,
        le=MAX_INT,
        description="The dispute's version as read; or send it in an If-Match header.",
    )


class SessionIn(DisputeVersioned):
    at: LocalDatetime = Field(
        ..., description="Past: a session held (statements required); future: planned."
    )
    place: str = Field(..., min_length=1, max_length=120)
    attendees: str = Field("", max_length=2000)
    statements: str = Field("", max_length=5000)
    proposals: str = Field("", max_length=2000)


class CompleteSessionIn(Input):
    statements: str = Field(..., min_length=1, max_length=5000)
    proposals: str = Field("", max_length=2000)
    attendees: str = Field("", max_length=2000)


class DisputeReasonIn(DisputeVersioned):
    reason: str = Field(..., max_length=2000)


class ReferIn(DisputeVersioned):
    to: Referral
    note: str = Field(..., max_length=2000)


class TermIn(Input):
    text: str = Field(..., min_length=1, max_length=1000)
    how: str = Field("", max_length=200)
    due: dt.date | None = None


class SettleIn(DisputeVersioned):
    kind: Agreement.Kind = Agreement.Kind.WRITTEN
    facts: str = Field(..., max_length=5000)
    points_at_issue: str = Field(..., max_length=5000)
    terms: list[TermIn] = Field(..., max_length=MAX_TERMS)
    signed_on: dt.date
    responsibilities: str = Field("", max_length=5000)
    performance: str = Field("", max_length=5000)
