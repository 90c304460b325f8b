"""Open311 GeoReport v2 (reference: shared/reference/open311.md; mapping: docs/api.md).

- service_code = a matter category's code; services come from the active category tree.
- service_request_id = the matter's code ("XK-2026-000123"), as residents know it.
- POST requests needs an `api_key` (an API token allowed to register matters); the matter is
  registered through matters.services.register_matter (channel "system", the requester as the
  resident). `jurisdiction_id` is the code of the grid or community where it arises (default:
  the token's own unit). Intake is immediate, so a `token` is never issued.
- A category's extra fields are its service attributes (`metadata` true): POST sends them as
  `attribute[code]` (`attribute[code][]` for a multi-value list), checked by the same intake.
- Reads need no key. Without one only non-personal facts are given (no description, address or
  position: a resident's own words can name people); with a key, the matters in its scope show
  them too. The requester's name, phone and ID are never given.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from xinkan.api import tokens
from xinkan.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from xinkan.api.idempotency import service_key
from xinkan.api.models import ApiToken
from xinkan.api.open311.render import errors, respond, w3c
from xinkan.audit import services as audit
from xinkan.core import context
from xinkan.core.ratelimit import allow
from xinkan.matters import extra_fields, selectors, services
from xinkan.matters.extra_fields import EXTRA_PREFIX
from xinkan.matters.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Category,
    Channel,
    Matter,
    MatterEvent,
    parse_code,
)
from xinkan.org.models import LEVEL_RANK, Level, Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+08:00"
WINDOW = dt.timedelta(days=90)
LIMIT = 1000
READ_LIMIT = (600, 60)
WRITE_LIMIT = (120, 60)
ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")


def _client() -> str:
    return context.current().client_ip or "unknown"


def _limited(fmt: str, scope: str, identity: str, limit: tuple[int, int]) -> HttpResponse | None:
    if allow(scope, identity, limit=limit[0], window=limit[1]):
        return None
    response = errors(fmt, 429, _("Too many requests. Wait a while and try again."))
    response["Retry-After"] = str(limit[1])
    return response


def _param(request: HttpRequest, name: str) -> str:
    """A parameter; an empty one counts as absent (spec)."""
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or "").strip()


def _key(request: HttpRequest, fmt: str) -> tuple[ApiToken | None, HttpResponse | None]:
    secret = _param(request, "api_key")
    if not secret:
        return None, None
    token = tokens.find_active(secret)
    if token is None:
        return None, errors(fmt, 403, _("The api_key is not valid."))
    tokens.bind_scope(token)
    return token, None


# --- Discovery and services ----------------------------------------------------------------------


def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return errors(fmt, 405, _("This method is not allowed here."))
    data = {
        "changeset": CHANGESET,
        "contact": _("Ask the district's information office for an API key."),
        "key_service": _("API keys are issued by the district's administrators."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", None, data)


def _service(category: Category, language: str) -> dict[str, Any]:
    parent = category.parent
    return {
        "service_code": category.code,
        "service_name": category.label(language),
        "description": category.label(language),
        "metadata": bool(category.extra_fields),
        "type": "realtime",
        "keywords": "",
        "group": parent.label(language) if parent else "",
    }


def _categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return errors(fmt, 405, _("This method is not allowed here."))
    language = get_language() or "zh-hans"
    data = [_service(c, language) for c in _categories().order_by("sort", "code")]
    return respond(fmt, "services", "service", data)


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return errors(fmt, 405, _("This method is not allowed here."))
    category = _categories().filter(code=code).first()
    if category is None:
        return errors(fmt, 404, _("There is no service with this service_code."))
    language = get_language() or "zh-hans"
    attributes = [_attribute(d, language) for d in extra_fields.definitions(category)]
    return respond(
        fmt,
        "service_definition",
        None,
        {"service_code": category.code, "attributes": attributes},
    )


def _datatype_description(datatype: str) -> str:
    if datatype == "number":
        return _("A number, e.g. 3 or 2.5.")
    if datatype == "datetime":
        return _("A date and time in W3C format, e.g. 2026-05-04T09:30:00+08:00.")
    if datatype == "multivaluelist":
        return _("One or more of the keys below, as attribute[code][]=key.")
    if datatype == "singlevaluelist":
        return _("One of the keys below.")
    return ""


def _attribute(definition: dict[str, Any], language: str) -> dict[str, Any]:
    """One service attribute, with the spec's fields in the spec's order."""
    attribute: dict[str, Any] = {
        "variable": True,
        "code": definition["code"],
        "datatype": definition["datatype"],
        "required": bool(definition.get("required")),
        "datatype_description": _datatype_description(definition["datatype"]),
        "order": definition.get("order", 0),
        "description": extra_fields.field_label(definition, language),
    }
    if definition["datatype"] in extra_fields.LIST_TYPES:
        attribute["values"] = [
            {"key": v["key"], "name": extra_fields.value_name(v, language)}
            for v in definition.get("values", [])
        ]
    return attribute


# --- Requests ------------------------------------------------------------------------------------


def _status(matter: Matter) -> str:
    return "closed" if matter.state in CLOSED_STATES else "open"


def _request(
    matter: Matter,
    *,
    notes: dict[int, str],
    deadlines: dict[int, Any],
    full: bool,
    language: str,
) -> dict[str, Any]:
    deadline = deadlines.get(matter.pk)
    agency = matter.lead_department.name if matter.lead_department else matter.handling_unit.name
    return {
        "service_request_id": matter.code,
        "status": _status(matter),
        "status_notes": notes.get(matter.pk, ""),
        "service_name": matter.category.label(language),
        "service_code": matter.category.code,
        "description": matter.description if full else "",
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": w3c(matter.registered_at),
        "updated_datetime": w3c(matter.updated_at),
        "expected_datetime": w3c(deadline.due_at) if deadline else "",
        "address": matter.address if full else "",
        "address_id": "",
        "zipcode": "",
        "lat": str(matter.latitude) if full and matter.latitude is not None else "",
        "long": str(matter.longitude) if full and matter.longitude is not None else "",
        "media_url": "",
    }


def _latest_public_notes(matters: list[Matter]) -> dict[int, str]:
    """The latest step the portal shows the resident (its label), per matter."""
    notes: dict[int, str] = {}
    events = MatterEvent.objects.filter(
        matter_id__in=[m.pk for m in matters], public=True
    ).order_by("matter_id", "-at", "-pk")
    for event in events.only("matter_id", "action"):
        notes.setdefault(event.matter_id, event.label)
    return notes


def _answer(
    request: HttpRequest, fmt: str, matters: list[Matter], token: ApiToken | None
) -> HttpResponse:
    language = get_language() or "zh-hans"
    visible: set[int] = set()
    if token is not None and matters:
        visible = set(
            selectors.matters_for(token.user)
            .filter(pk__in=[m.pk for m in matters])
            .values_list("pk", flat=True)
        )
    notes = _latest_public_notes(matters)
    deadlines = selectors.next_deadlines(matters)
    data = [
        _request(m, notes=notes, deadlines=deadlines, full=m.pk in visible, language=language)
        for m in matters
    ]
    return respond(fmt, "service_requests", "request", data)


def _base() -> QuerySet[Matter]:
    return Matter.objects.select_related("category", "lead_department", "handling_unit").defer(
        "search_text", "contact_phone", "id_number"
    )


def _parse_date(value: str) -> dt.datetime | None:
    try:
        parsed = parse_datetime(value.replace(" ", "+"))
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _list(request: HttpRequest, fmt: str, token: ApiToken | None) -> HttpResponse:
    ids = [
        part.strip() for part in _param(request, "service_request_id").split(",") if part.strip()
    ]
    if ids:
        wanted = Q(pk__in=[])
        for code in ids[:LIMIT]:
            parsed = parse_code(code)
            if parsed is not None:
                wanted |= Q(pk=parsed[1], registered_at__year=parsed[0])
        matters = list(_base().filter(wanted).order_by("-registered_at", "-id")[:LIMIT])
        return _answer(request, fmt, matters, token)

    query = _base()
    codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
    if codes:
        known = set(_categories().filter(code__in=codes).values_list("code", flat=True))
        unknown = sorted(set(codes) - known)
        if unknown:
            return errors(
                fmt, 404, _("Unknown service_code: %(codes)s") % {"codes": ", ".join(unknown)}
            )
        query = query.filter(category__code__in=codes)
    start_raw, end_raw = _param(request, "start_date"), _param(request, "end_date")
    start = _parse_date(start_raw) if start_raw else None
    end = _parse_date(end_raw) if end_raw else None
    if (start_raw and start is None) or (end_raw and end is None):
        return errors(
            fmt, 400, _("start_date and end_date must be dates in W3C format (ISO 8601).")
        )
    if start and end and end < start:
        return errors(fmt, 400, _("end_date must not be before start_date."))
    if start and end and end - start > WINDOW:
        return errors(fmt, 400, _("The date window is at most 90 days."))
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    query = query.filter(registered_at__gte=start, registered_at__lte=end)
    statuses = {s.strip() for s in _param(request, "status").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        return errors(fmt, 400, _("status must be open or closed."))
    if statuses == {"open"}:
        query = query.filter(state__in=OPEN_STATES)
    elif statuses == {"closed"}:
        query = query.filter(state__in=CLOSED_STATES)
    matters = list(query.order_by("-registered_at", "-id")[:LIMIT])
    return _answer(request, fmt, matters, token)


def _place(token: ApiToken, jurisdiction: str) -> Unit | None:
    """The unit where the matter arises: the jurisdiction's, or the token's own grid/community."""
    if jurisdiction:
        return Unit.objects.filter(code=jurisdiction, is_active=True).first()
    unit = token.unit
    if unit is not None and LEVEL_RANK[unit.level] >= LEVEL_RANK[Level.COMMUNITY]:
        return unit
    return None


def _attributes(request: HttpRequest) -> dict[str, str | list[str]]:
    """`attribute[code]=v` and, for a multi-value list, `attribute[code][]=v` (repeated)."""
    raw: dict[str, str | list[str]] = {}
    for name in request.POST:
        match = ATTRIBUTE.fullmatch(name)
        if match is None:
            continue
        values = [v.strip() for v in request.POST.getlist(name) if v.strip()]
        if not values:
            continue  # empty counts as absent (spec)
        code = match.group(1)
        if match.group(2) or len(values) > 1:
            earlier = raw.get(code, [])
            raw[code] = [*(earlier if isinstance(earlier, list) else [earlier]), *values]
        else:
            raw[code] = values[0]
    return raw


def _intake_errors(exc: ValidationError) -> str:
    """The intake's refusal in one description; an extra field named as its attribute."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, messages in exc.message_dict.items():
        text = " ".join(messages)
        if name.startswith(EXTRA_PREFIX):
            text = f"attribute[{name.removeprefix(EXTRA_PREFIX)}]: {text}"
        parts.append(text)
    return " ".join(parts)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    secret = _param(request, "api_key")
    if not secret:
        return errors(fmt, 403, _("An api_key is required to create requests."))
    limited = _limited(fmt, "open311-write", _client(), WRITE_LIMIT)
    if limited:
        return limited
    token, failure = _key(request, fmt)
    if failure is not None:
        return failure
    assert token is not None
    code = _param(request, "service_code")
    if not code:
        return errors(fmt, 400, _("service_code is required."))
    category = _categories().filter(code=code).first()
    if category is None:
        return errors(fmt, 404, _("There is no service with this service_code."))
    lat, long = _param(request, "lat"), _param(request, "long")
    address = _param(request, "address_string")
    if not ((lat and long) or address or _param(request, "address_id")):
        return errors(
            fmt, 400, _("A location is required: lat and long, address_string or address_id.")
        )
    try:
        latitude = Decimal(lat) if lat else None
        longitude = Decimal(long) if long else None
    except (InvalidOperation, ValueError):
        return errors(fmt, 400, _("lat and long must be numbers."))
    if (latitude is not None and not -90 <= latitude <= 90) or (
        longitude is not None and not -180 <= longitude <= 180
    ):
        return errors(fmt, 400, _("lat and long must be numbers."))
    description = _param(request, "description")
    if len(description) > 4000:
        return errors(fmt, 400, _("description is longer than 4000 characters."))
    if not description:
        return errors(fmt, 400, _("description is required."))
    jurisdiction = _param(request, "jurisdiction_id")
    unit = _place(token, jurisdiction)
    if unit is None:
        if jurisdiction:
            return errors(fmt, 404, _("Unknown jurisdiction_id."))
        return errors(fmt, 400, _("jurisdiction_id is required: the code of a grid or community."))
    # The token's right to register matters there: the same check the staff pages make.
    if not get_scope(token.user).covers_unit(unit, Perm.MATTERS_REGISTER):
        audit.record_failure(
            actor=token.user,
            action="api.open311.request_denied",
            unit=unit,
            data={"service_code": code},
        )
        return errors(fmt, 403, _("This api_key may not create requests there."))
    name = " ".join(p for p in (_param(request, "last_name"), _param(request, "first_name")) if p)
    phone = _param(request, "phone")
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()[:64]
    request.api_token = token  # type: ignore[attr-defined]
    try:
        result = services.register_matter(
            services.Intake(
                channel=Channel.SYSTEM,
                category=category,
                description=description,
                unit=unit,
                address=address,
                latitude=latitude,
                longitude=longitude,
                contact_name=name[:60],
                contact_phone=phone,
                anonymous=not (name or phone),
                extra=_attributes(request),
                idempotency_key=service_key(request, key) if key else None,
            ),
            by=None,  # the requester is a resident; the token is recorded below
        )
    except ValidationError as exc:
        return errors(fmt, 400, _intake_errors(exc))
    matter = result.matter
    if result.created:
        audit.record(
            actor=token.user,
            action="api.open311.request_created",
            obj=matter,
            unit=matter.handling_unit,
            data={"token": token.prefix, "service_code": code},
        )
    notice = "" if result.created else _("Added to an earlier request of the same person.")
    data = [{"service_request_id": matter.code, "service_notice": notice, "account_id": ""}]
    return respond(fmt, "service_requests", "request", data, status=201 if result.created else 200)


@csrf_exempt
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        return errors(fmt, 405, _("This method is not allowed here."))
    limited = _limited(fmt, "open311-read", _client(), READ_LIMIT)
    if limited:
        return limited
    token, failure = _key(request, fmt)
    if failure is not None:
        return failure
    return _list(request, fmt, token)


def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    if request.method != "GET":
        return errors(fmt, 405, _("This method is not allowed here."))
    limited = _limited(fmt, "open311-read", _client(), READ_LIMIT)
    if limited:
        return limited
    token, failure = _key(request, fmt)
    if failure is not None:
        return failure
    parsed = parse_code(request_id)
    matter = _base().filter(pk=parsed[1], registered_at__year=parsed[0]).first() if parsed else None
    if matter is None:
        return errors(fmt, 404, _("There is no request with this service_request_id."))
    return _answer(request, fmt, [matter], token)


def token_lookup(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    # Intake is immediate: POST answers with the service_request_id and no token is ever issued.
    if request.method != "GET":
        return errors(fmt, 405, _("This method is not allowed here."))
    return errors(fmt, 404, _("There is no request with this token."))


def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    fmt = "json" if rest.endswith(".json") else "xml"
    return errors(fmt, 404, _("There is no such Open311 resource."))
