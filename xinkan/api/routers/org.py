"""Units, departments and matter categories (read only)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from xinkan.api.auth import caller
from xinkan.api.errors import READ_ERRORS
from xinkan.api.pagination import PageParams, page
from xinkan.api.schemas import CategoryOut, DepartmentOut, PageMeta, UnitOut
from xinkan.matters.models import Category
from xinkan.org.models import Department
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope

router = Router(tags=["organisation"])
ERRORS: dict[int, Any] = READ_ERRORS


class UnitPage(Schema):
    meta: PageMeta
    items: list[UnitOut]


class DepartmentPage(Schema):
    meta: PageMeta
    items: list[DepartmentOut]


@router.get("/units", response={200: UnitPage, **ERRORS}, summary="Units in scope")
def list_units(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    units = get_scope(caller(request)).units(Perm.ORG_VIEW).order_by("path")
    items, meta = page(units, paging)
    return {"meta": meta, "items": items}


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS}, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> Any:
    unit = get_scope(caller(request)).units(Perm.ORG_VIEW).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


@router.get(
    "/departments", response={200: DepartmentPage, **ERRORS}, summary="Departments in scope"
)
def list_departments(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    scope = get_scope(caller(request))
    departments = scope.filter_departments(Department.objects.all(), Perm.ORG_VIEW, "").order_by(
        "code"
    )
    items, meta = page(departments, paging)
    return {"meta": meta, "items": items}


@router.get(
    "/departments/{department_id}",
    response={200: DepartmentOut, **ERRORS},
    summary="One department",
)
def get_department(request: HttpRequest, department_id: int) -> Any:
    scope = get_scope(caller(request))
    found = (
        scope.filter_departments(Department.objects.all(), Perm.ORG_VIEW, "")
        .filter(pk=department_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


@router.get("/categories", response={200: list[CategoryOut], **ERRORS}, summary="Matter categories")
def list_categories(request: HttpRequest) -> Any:
    return list(Category.objects.filter(is_active=True).order_by("sort", "code"))
