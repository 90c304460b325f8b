"""Shapes of what the API reads and returns (OpenAPI components)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, field_validator

ChannelIn = Literal["visit", "letter", "phone", "online", "patrol", "proactive", "system"]
OutcomeIn = Literal["supported", "explained", "not_supported"]
RatingIn = Literal["satisfied", "mostly", "dissatisfied"]
# The largest id or version the database keeps (a 32-bit integer column).
MAX_INT = 2**31 - 1


def _local(value: dt.datetime) -> dt.datetime:
    """A time without an offset is local time (Asia/Shanghai), as on the staff pages' forms;
    years far outside any record are refused rather than overflowing on conversion."""
    if not 1900 <= value.year <= 2100:
        raise ValueError("year out of range")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


LocalDatetime = Annotated[dt.datetime, AfterValidator(_local)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class Input(Schema):
    """The base of what callers send (bodies and query filters). PostgreSQL keeps no NUL
    character in text: such a value is refused here as invalid, on every database, instead of
    failing in the database."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("NUL character")
        return value


class Ref(Schema):
    id: int
    code: str
    name: str


class UnitOut(Schema):
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    is_active: bool


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    unit_id: int
    is_active: bool


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    parent_id: int | None


class PageMeta(Schema):
    count: int
    count_capped: bool
    limit: int
    offset: int


class MatterSummary(Schema):
    id: int
    code: str
    title: str
    state: str
    channel: str
    category: Ref
    unit: Ref
    handling_unit: Ref
    lead_department: Ref | None
    registered_at: dt.datetime
    updated_at: dt.datetime
    version: int


class MatterPage(Schema):
    meta: PageMeta
    items: list[MatterSummary]


class EventOut(Schema):
    at: dt.datetime
    action: str
    label: str
    from_state: str
    to_state: str
    note: str
    actor: str
    public: bool


class DeadlineOut(Schema):
    stage: str
    due_at: dt.datetime
    met_at: dt.datetime | None
    overdue: bool


class AssignmentOut(Schema):
    department: Ref
    role: str
    state: str


class Requester(Schema):
    name: str
    phone: str = Field(description="Masked unless the caller may see residents' personal data.")
    id_number: str = Field(description="Masked like the phone.")
    anonymous: bool
    masked: bool


class MatterDetail(MatterSummary):
    description: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    group_size: int
    repeat_count: int
    requester: Requester
    assignments: list[AssignmentOut]
    deadlines: list[DeadlineOut]
    timeline: list[EventOut]


class IntakeIn(Input):
    category: str = Field(..., description="A category code (GET /categories).")
    unit: int = Field(..., description="The place: the id of a grid or community in scope.")
    description: str = Field(..., min_length=1, max_length=5000)
    title: str = Field("", max_length=120)
    channel: ChannelIn = "system"
    handling_unit: int | None = None
    address: str = Field("", max_length=200)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    contact_name: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=30)
    id_number: str = Field("", max_length=18)
    group_size: int = Field(1, ge=1)
    extra: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description=(
            "Answers to the category's extra fields by code (GET /open311/v2/services/{code}); "
            "a list for a multi-value field."
        ),
    )

    @field_validator("extra", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: Any) -> Any:
        # A number field may be answered with a JSON number: the intake reads answers as text.
        def text(item: Any) -> Any:
            is_number = isinstance(item, int | float) and not isinstance(item, bool)
            return str(item) if is_number else item

        if not isinstance(value, dict):
            return value
        return {
            key: [text(i) for i in item] if isinstance(item, list) else text(item)
            for key, item in value.items()
        }

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "category": "property.elevator",
                    "unit": 4,
                    "description": "小区3号楼电梯坏了三天，老人上下楼很困难。",
                    "channel": "phone",
                    "contact_name": "王秀英",
                    "contact_phone": "13800138000",
                }
            ]
        }
    }


class IntakeOut(Schema):
    outcome: Literal["created", "folded", "declined_as_concluded"]
    id: int
    code: str
    matter: MatterDetail | None = Field(
        None, description="The new matter; absent when the submission was folded into another."
    )


class Versioned(Input):
    version: int | None = Field(
        None, description="The matter's version as read; or send it in an If-Match header."
    )


class NoteIn(Versioned):
    note: str = Field("", max_length=2000)


class ReasonIn(Versioned):
    reason: str = Field(..., max_length=2000)


class DispatchIn(Versioned):
    lead_department: int
    co_departments: list[int] = []
    note: str = Field("", max_length=2000)
    due_at: LocalDatetime | None = None


class TransferIn(ReasonIn):
    to_department: int


class ReplyIn(Versioned):
    text: str = Field(..., max_length=5000)
    outcome: OutcomeIn


class FollowUpIn(Versioned):
    rating: RatingIn
    comment: str = Field("", max_length=2000)
    contacted: bool = True


class DecideReviewIn(Versioned):
    text: str = Field(..., max_length=5000)
    outcome: OutcomeIn
