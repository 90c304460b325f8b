"""Intake of a category's extra fields: the service stores the cleaned answers or refuses before
writing anything; the staff form shows each category's fields and its errors beside them; the
matter page shows the answers."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.conftest import login_as
from tests.matters import factories as mf
from tests.matters.web import page_text, zh
from xinkan.matters import services
from xinkan.matters.extra_fields import validate_definition
from xinkan.matters.forms import extra_field_name
from xinkan.matters.models import Category, Channel, Matter, MatterEvent

pytestmark = pytest.mark.django_db

URL = "/matters/new/"
FIELDS = [
    {"code": "building", "label": "楼号", "label_en": "Building", "datatype": "string",
     "required": True, "order": 1},
    {"code": "trapped", "label": "是否有人被困", "label_en": "Anyone trapped", "order": 2,
     "datatype": "singlevaluelist", "required": True,
     "values": [{"key": "yes", "name": "有人被困", "name_en": "Yes"},
                {"key": "no", "name": "无人被困", "name_en": "No"}]},
]  # fmt: skip


@pytest.fixture
def lift() -> Category:
    category = mf.category("safety.lift_test", "电梯困人")
    category.extra_fields = validate_definition(FIELDS)
    category.save()
    return category


def counts() -> tuple[int, int]:
    return Matter.objects.count(), MatterEvent.objects.count()


# --- The service ---------------------------------------------------------------------------------


def test_register_matter_stores_the_cleaned_answers(cast, lift):
    result = services.register_matter(
        mf.intake(cast.grid, category=lift, extra={"building": " 3号楼 ", "trapped": "yes"}),
        by=cast.grid_worker,
    )
    result.matter.refresh_from_db()
    assert result.matter.extra == {"building": "3号楼", "trapped": "yes"}


def test_register_matter_refuses_bad_answers_before_writing(cast, lift):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.register_matter(
            mf.intake(cast.grid, category=lift, extra={"trapped": "maybe", "colour": "red"}),
            by=cast.grid_worker,
        )
    errors = caught.value.message_dict
    assert set(errors) == {"extra.building", "extra.trapped", "extra.colour"}
    assert errors["extra.building"] == ["Building: this field is required."]
    assert counts() == (0, 0)


def test_a_category_without_fields_keeps_extra_empty(cast):
    matter = services.register_matter(mf.intake(cast.grid), by=cast.grid_worker).matter
    matter.refresh_from_db()
    assert matter.extra == {}


# --- The staff form ------------------------------------------------------------------------------


def form_data(cast, category: Category, **values: object) -> dict[str, object]:
    data = {
        "channel": Channel.PHONE,
        "category": category.pk,
        "unit": cast.grid.pk,
        "description": "幸福小区3号楼电梯停在两层之间，里面有老人被困，请马上派人来。",
        "contact_name": "孙桂兰",
        "contact_phone": "13900139000",
        "group_size": 1,
        "idempotency_key": uuid.uuid4().hex,
    }
    data.update(values)
    return data


def test_the_form_shows_each_categorys_fields_in_its_own_fieldset(cast, client, lift):
    login_as(client, cast.grid_worker)
    body = client.get(URL).content.decode()
    fieldset = re.search(rf'<fieldset data-category="{lift.pk}".*?</fieldset>', body, re.S)
    assert fieldset, "no fieldset for the category with extra fields"
    assert f'name="{extra_field_name(lift, "building")}"' in fieldset.group(0)
    assert f'name="{extra_field_name(lift, "trapped")}"' in fieldset.group(0)
    assert "有人被困" in fieldset.group(0)
    assert "电梯困人" in fieldset.group(0)


def test_the_form_registers_the_answers_and_the_page_shows_them(cast, client, lift):
    login_as(client, cast.grid_worker)
    other = Category.objects.get(code="roads.lights")  # its inputs are ignored for this category
    response = client.post(
        URL,
        form_data(
            cast,
            lift,
            **{
                extra_field_name(lift, "building"): "3号楼2单元",
                extra_field_name(lift, "trapped"): "yes",
                extra_field_name(other, "lights_out"): "many",
            },
        ),
    )
    matter = Matter.objects.get()
    assert response.status_code == 302, page_text(response)
    assert matter.extra == {"building": "3号楼2单元", "trapped": "yes"}
    text = page_text(client.get(f"/matters/{matter.pk}/"))
    assert "楼号" in text and "3号楼2单元" in text
    assert "是否有人被困" in text and "有人被困" in text


def test_the_form_shows_errors_beside_the_extra_fields_and_saves_nothing(cast, client, lift):
    login_as(client, cast.grid_worker)
    response = client.post(
        URL,
        form_data(cast, lift, **{extra_field_name(lift, "trapped"): "maybe"}),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[extra_field_name(lift, "building")] == [
        zh("%(label)s: this field is required.", label="楼号")
    ]
    assert extra_field_name(lift, "trapped") in form.errors
    assert zh("%(label)s: this field is required.", label="楼号") in page_text(response)
    assert counts() == (0, 0)


def test_the_fields_of_another_category_are_not_asked(cast, client, lift):
    login_as(client, cast.grid_worker)
    response = client.post(URL, form_data(cast, mf.category("safety.fire", "消防隐患")))
    assert response.status_code == 302
    assert Matter.objects.get().extra == {}
