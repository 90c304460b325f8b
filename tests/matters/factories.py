"""Matter test data, made through the matters services."""

from __future__ import annotations

from typing import Any

from tests import factories
from xinkan.accounts.models import User
from xinkan.matters import services
from xinkan.matters.models import Category, Channel, Matter, Outcome
from xinkan.org.models import Department, Unit
from xinkan.org.roles import Role


def category(code: str = "property.elevator", name: str = "电梯故障") -> Category:
    parent_code = code.split(".")[0] if "." in code else None
    parent = None
    if parent_code:
        parent, _ = Category.objects.get_or_create(code=parent_code, defaults={"name": parent_code})
    found, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "parent": parent})
    return found


def intake(unit: Unit, **values: Any) -> services.Intake:
    defaults: dict[str, Any] = {
        "channel": Channel.VISIT,
        "category": category(),
        "description": "小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修。",
        "unit": unit,
        "contact_name": "王秀英",
        "contact_phone": "13800138000",
    }
    defaults.update(values)
    return services.Intake(**defaults)


def matter(unit: Unit, by: User | None, **values: Any) -> Matter:
    result = services.register_matter(intake(unit, **values), by=by)
    assert result.created, "the factory expected a new matter"
    return result.matter


# --- Matters at each stage of the flow (tests/conftest.py's cast acts) ---------------------------


def accepted(cast: Any, **values: Any) -> Matter:
    found = matter(cast.grid, cast.grid_worker, **values)
    services.accept_matter(found, by=cast.community_worker)
    return found


def dispatched(cast: Any, *, co: list[Department] | None = None, **values: Any) -> Matter:
    found = accepted(cast, **values)
    services.dispatch_matter(found, lead=cast.department, co=co, by=cast.community_worker)
    return found


def handling(cast: Any, *, co: list[Department] | None = None, **values: Any) -> Matter:
    """Dispatched to the cast's department (住建局), which has signed for it."""
    found = dispatched(cast, co=co, **values)
    services.sign_for(found, by=cast.handler)
    return found


def handled_by_unit(cast: Any, **values: Any) -> Matter:
    """The community handles the matter itself, without a department."""
    found = matter(cast.grid, cast.grid_worker, **values)
    services.handle_by_unit(found, by=cast.community_worker)
    return found


REPLY = "已联系物业维修电梯，预计三日内修好，请您留意。"


def replied(cast: Any, **values: Any) -> Matter:
    found = handling(cast, **values)
    services.reply_to_matter(found, by=cast.handler, text=REPLY, outcome=Outcome.SUPPORTED)
    return found


def concluded(cast: Any, **values: Any) -> Matter:
    """Answered, reviewed by the subdistrict and re-reviewed by the district."""
    found = replied(cast, **values)
    services.request_review(found, by=cast.community_worker, reason="居民认为电梯仍未修好")
    services.decide_review(
        found, by=cast.cadre, text="经复查，责令物业一周内修复电梯。", outcome=Outcome.SUPPORTED
    )
    services.request_review(found, by=cast.community_worker, reason="居民仍不满意处理结果")
    services.decide_review(
        found, by=cast.leader, text="经复核，维持复查意见，本事项终结。", outcome=Outcome.EXPLAINED
    )
    return found


def handler_of(department: Department, username: str | None = None) -> User:
    return factories.member(Role.DEPARTMENT_HANDLER, department=department, username=username)


def id_number(first17: str = "11010519491231002") -> str:
    """A valid ID number (GB 11643) from its first 17 characters."""
    from xinkan.residents.identity import check_digit

    return first17 + check_digit(first17)


class RecordingSender:
    """XINKAN_RESIDENT_SENDER for tests: keeps the messages residents would receive."""

    sent: list[dict[str, str]] = []

    def send(self, *, phone: str, email: str, text: str, matter_code: str) -> None:
        RecordingSender.sent.append({"phone": phone, "text": text, "code": matter_code})


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
