"""The drives and stations pages: the list of both, a drive's page (totals, rows, forms to record
donations and help), a station's page (stock, help given, rows, forms), and the forms to start a
drive or open a station. Thin: the rules are in access.py, services.py and movements.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from xinkan.accounts.http import request_user
from xinkan.accounts.models import User
from xinkan.aid import access, movements, selectors, services
from xinkan.aid.forms import (
    DriveForm,
    GiftForm,
    ReceiptForm,
    StationForm,
    StationInForm,
    StationOutForm,
)
from xinkan.aid.models import Direction, Drive, DriveStatus, ItemType, Movement, Station
from xinkan.core.paging import CappedPaginator
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.models import Household, Resident

DRIVES_PAGE_SIZE = 30
ROWS_PAGE_SIZE = 50
STATIONS_CAP = 200


def _managed_units(user: User) -> QuerySet[Unit]:
    return get_scope(user).units(Perm.AID_MANAGE).filter(is_active=True).order_by("path")


def _to_form(form: Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    scope = get_scope(user)
    if not scope.has_perm(Perm.AID_VIEW):
        raise PermissionDenied
    drives = selectors.drives_with_figures(access.drives_for(user)).order_by("-starts_on", "-pk")
    stations = selectors.stations_with_figures(
        access.stations_for(user), today=timezone.localdate()
    ).order_by("-is_active", "unit__path", "name")
    return render(
        request,
        "aid/index.html",
        {
            "page": CappedPaginator(drives, DRIVES_PAGE_SIZE).get_page(request.GET.get("page")),
            "stations": list(stations[:STATIONS_CAP]),
            "can_manage": scope.has_perm(Perm.AID_MANAGE),
            "window": selectors.HELP_WINDOW_DAYS,
        },
    )


def _new(request: HttpRequest, form_class: type[Form], create: Any, template: str) -> HttpResponse:
    user = request_user(request)
    if not get_scope(user).has_perm(Perm.AID_MANAGE):
        raise PermissionDenied
    form = form_class(request.POST or None, units=_managed_units(user))  # type: ignore[call-arg]
    if request.method == "POST" and form.is_valid():
        try:
            made = create(user, form.cleaned_data)
        except ValidationError as exc:
            _to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(made)
    return render(request, template, {"form": form})


@login_required
def drive_new(request: HttpRequest) -> HttpResponse:
    return _new(
        request,
        DriveForm,
        lambda user, data: services.create_drive(by=user, **data),
        "aid/drive_new.html",
    )


@login_required
def station_new(request: HttpRequest) -> HttpResponse:
    return _new(
        request,
        StationForm,
        lambda user, data: services.create_station(by=user, **data),
        "aid/station_new.html",
    )


def _rows(request: HttpRequest, user: User, rows: QuerySet[Movement]) -> dict[str, Any]:
    show = request.GET.get("show", "")
    page = CappedPaginator(selectors.visible_rows(user, rows, show), ROWS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {"rows": page, "show": show if show in Direction.values else ""}


def _households(user: User, within: Unit | None) -> list[Household]:
    households = (
        access.households_to_help(user, within).select_related(None).only("code", "address")
    )
    return list(households.order_by("code")[: access.HOUSEHOLD_CHOICES_CAP])


def _drive_page(
    request: HttpRequest,
    user: User,
    drive: Drive,
    *,
    receipt_form: ReceiptForm | None = None,
    gift_form: GiftForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    held = Movement.objects.filter(drive=drive)
    records = drive.status == DriveStatus.OPEN and access.records_for(user, drive)
    runs = access.runs(user, drive)
    return render(
        request,
        "aid/drive.html",
        {
            "drive": drive,
            "totals": selectors.totals_by_type(held),
            "helped": selectors.households_helped(held),
            "runs": runs,
            "records": records,
            "receipt_form": receipt_form
            or ReceiptForm(
                units=access.collecting_units(user, drive),
                initial={"date": today, "unit": drive.unit_id if runs else None},
            ),
            "gift_form": gift_form or GiftForm(initial={"date": today}),
            "households": _households(user, drive.unit) if records else [],
            **_rows(request, user, held),
        },
    )


@login_required
@require_GET
def drive_detail(request: HttpRequest, drive_id: int) -> HttpResponse:
    user = request_user(request)
    return _drive_page(request, user, access.get_drive_for_user(user, drive_id))


def _recipient_of(user: User, data: dict[str, Any]) -> tuple[Household, Resident | None]:
    household = access.find_household(user, data["household"])
    if household is None:
        raise ValidationError({"household": [_("No household with this number in your area.")]})
    name = data["resident"].strip()
    if not name:
        return household, None
    resident = household.members.filter(name=name).first()
    if resident is None:
        raise ValidationError({"resident": [_("Nobody of this name lives in the household.")]})
    return household, resident


def _item_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: data[key]
        for key in ("item_type", "quantity", "date", "description", "unit_word")
        if key in data
    }


def _record(
    request: HttpRequest,
    form: Form,
    write: Callable[[dict[str, Any]], object],
    done: Any,
    back: HttpResponse,
) -> HttpResponse | None:
    """Run `write` on a valid form and go `back` with `done`; None (the page is shown again with
    the form's errors) when the form or the service refuses."""
    if not form.is_valid():
        return None
    try:
        write(form.cleaned_data)
    except ValidationError as exc:
        _to_form(form, exc)
        return None
    messages.success(request, done)
    return back


def _gift(user: User, give: Callable[..., object]) -> Callable[[dict[str, Any]], object]:
    """What a gift form writes: the recipient household (and person) looked up in the giver's
    area first; a household not found is a form error, raised as the service would."""

    def write(data: dict[str, Any]) -> object:
        household, resident = _recipient_of(user, data)
        return give(
            household=household, resident=resident, notes=data["notes"], **_item_values(data)
        )

    return write


@login_required
@require_POST
def drive_receive(request: HttpRequest, drive_id: int) -> HttpResponse:
    user = request_user(request)
    drive = access.get_drive_for_user(user, drive_id)
    if not access.records_for(user, drive):
        services.refuse(user, drive.unit, "receive", drive)
    form = ReceiptForm(request.POST, units=access.collecting_units(user, drive))
    done = _record(
        request,
        form,
        lambda data: movements.record_receipt(
            drive, by=user, unit=data["unit"], donor=data["donor"], **_item_values(data)
        ),
        _("The donations were recorded."),
        redirect("aid:drive", drive.pk),
    )
    if done is not None:
        return done
    return _drive_page(request, user, drive, receipt_form=form)


@login_required
@require_POST
def drive_give(request: HttpRequest, drive_id: int) -> HttpResponse:
    user = request_user(request)
    drive = access.get_drive_for_user(user, drive_id)
    if not access.records_for(user, drive):
        services.refuse(user, drive.unit, "give", drive)
    form = GiftForm(request.POST)
    done = _record(
        request,
        form,
        _gift(user, partial(movements.record_gift, drive, by=user)),
        _("The help given was recorded."),
        redirect("aid:drive", drive.pk),
    )
    if done is not None:
        return done
    return _drive_page(request, user, drive, gift_form=form)


@login_required
@require_POST
def drive_status(request: HttpRequest, drive_id: int) -> HttpResponse:
    user = request_user(request)
    drive = access.get_drive_for_user(user, drive_id)
    action = request.POST.get("action")
    try:
        if action == "open":
            services.open_drive(drive, by=user)
            messages.success(request, _("The drive is open."))
        elif action == "close":
            services.close_drive(drive, by=user)
            messages.success(request, _("The drive is closed."))
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return redirect("aid:drive", drive.pk)


def _station_page(
    request: HttpRequest,
    user: User,
    station: Station,
    *,
    in_form: StationInForm | None = None,
    out_form: StationOutForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    held = Movement.objects.filter(station=station)
    runs = access.runs(user, station)
    totals = selectors.totals_by_type(held)
    return render(
        request,
        "aid/station.html",
        {
            "station": station,
            "totals": [t for t in totals if t.item_type != ItemType.SERVICE],
            "services": [t for t in totals if t.item_type == ItemType.SERVICE],
            "recent": selectors.recent_help(station, today=today),
            "window": selectors.HELP_WINDOW_DAYS,
            "runs": runs,
            "records": runs and station.is_active,
            "in_form": in_form or StationInForm(initial={"date": today}),
            "out_form": out_form or StationOutForm(initial={"date": today}),
            "households": _households(user, None) if runs and station.is_active else [],
            **_rows(request, user, held),
        },
    )


@login_required
@require_GET
def station_detail(request: HttpRequest, station_id: int) -> HttpResponse:
    user = request_user(request)
    return _station_page(request, user, access.get_station_for_user(user, station_id))


@login_required
@require_POST
def station_receive(request: HttpRequest, station_id: int) -> HttpResponse:
    user = request_user(request)
    station = access.get_station_for_user(user, station_id)
    if not access.runs(user, station):
        services.refuse(user, station.unit, "receive", station)
    form = StationInForm(request.POST)
    done = _record(
        request,
        form,
        lambda data: movements.station_receive(
            station, by=user, donor=data["donor"], **_item_values(data)
        ),
        _("The donations were recorded."),
        redirect("aid:station", station.pk),
    )
    if done is not None:
        return done
    return _station_page(request, user, station, in_form=form)


@login_required
@require_POST
def station_give(request: HttpRequest, station_id: int) -> HttpResponse:
    user = request_user(request)
    station = access.get_station_for_user(user, station_id)
    if not access.runs(user, station):
        services.refuse(user, station.unit, "give", station)
    form = StationOutForm(request.POST)
    done = _record(
        request,
        form,
        _gift(user, partial(movements.station_give, station, by=user)),
        _("The help given was recorded."),
        redirect("aid:station", station.pk),
    )
    if done is not None:
        return done
    return _station_page(request, user, station, out_form=form)


@login_required
@require_POST
def station_open(request: HttpRequest, station_id: int) -> HttpResponse:
    user = request_user(request)
    station = access.get_station_for_user(user, station_id)
    is_open = request.POST.get("open") == "1"
    services.set_station_open(station, by=user, is_open=is_open)
    messages.success(request, _("The station is open.") if is_open else _("The station is closed."))
    return redirect("aid:station", station.pk)
