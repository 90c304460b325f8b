"""Extra fields of a category: definitions checked, answers checked per datatype (one check for
the staff form, the REST API and Open311), and the defaults the data migration gives."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.matters import factories as mf
from xinkan.matters.extra_fields import clean_answers, display, validate_definition
from xinkan.matters.models import Category

pytestmark = pytest.mark.django_db

FIELDS = [
    {"code": "building", "label": "楼号", "label_en": "Building", "datatype": "string",
     "required": True, "order": 1},
    {"code": "floors", "label": "楼层数", "label_en": "Floors", "datatype": "number", "order": 2},
    {"code": "since", "label": "开始时间", "label_en": "Since", "datatype": "datetime", "order": 3},
    {"code": "notes", "label": "补充说明", "datatype": "text", "order": 4},
    {"code": "trapped", "label": "是否有人被困", "label_en": "Anyone trapped", "order": 5,
     "datatype": "singlevaluelist", "required": True,
     "values": [{"key": "yes", "name": "是", "name_en": "Yes"}, {"key": "no", "name": "否"}]},
    {"code": "who", "label": "被困人员", "label_en": "Who", "datatype": "multivaluelist",
     "order": 6,
     "values": [{"key": "elderly", "name": "老人", "name_en": "Elderly"},
                {"key": "child", "name": "儿童", "name_en": "Children"}]},
]  # fmt: skip


@pytest.fixture
def lift() -> Category:
    category = mf.category("safety.lift_test", "电梯困人")
    category.extra_fields = validate_definition(FIELDS)
    category.save()
    return category


def errors_of(category: Category, raw: dict) -> dict[str, list[str]]:  # type: ignore[type-arg]
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        clean_answers(category, raw)
    return caught.value.message_dict


# --- Definitions ---------------------------------------------------------------------------------


def test_a_definition_is_normalised_and_sorted_by_order():
    cleaned = validate_definition(
        [
            {"code": "b", "label": " 二 ", "datatype": "string", "order": 2},
            {"code": "a", "label": "一", "datatype": "number", "order": 1, "required": True},
        ]
    )
    assert [d["code"] for d in cleaned] == ["a", "b"]
    assert cleaned[1] == {
        "code": "b",
        "label": "二",
        "label_en": "",
        "datatype": "string",
        "required": False,
        "order": 2,
    }
    assert validate_definition(None) == []


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ([{"code": "Bad Code", "label": "x", "datatype": "string"}], "the code must start"),
        (
            [
                {"code": "a", "label": "x", "datatype": "string"},
                {"code": "a", "label": "y", "datatype": "number"},
            ],
            "used twice",
        ),
        ([{"code": "a", "label": "x", "datatype": "colour"}], "datatype must be one of"),
        ([{"code": "a", "label": "", "datatype": "string"}], "give a label"),
        ([{"code": "a", "label": "x", "datatype": "singlevaluelist"}], "needs values"),
        (
            [
                {
                    "code": "a",
                    "label": "x",
                    "datatype": "multivaluelist",
                    "values": [{"key": "k", "name": "n"}, {"key": "k", "name": "m"}],
                }
            ],
            "key of its own",
        ),
        ([{"code": "a", "label": "x", "datatype": "string", "required": "yes"}], "true or false"),
        ({"code": "a"}, "must be a list"),
    ],
)
def test_a_bad_definition_is_refused_with_the_reason(fields, problem):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        validate_definition(fields)
    assert any(problem in message for message in caught.value.messages)


def test_category_clean_checks_its_extra_fields():
    category = mf.category("roads.test", "测试")
    category.extra_fields = [{"code": "x", "label": "x", "datatype": "colour"}]
    with pytest.raises(ValidationError) as caught:
        category.full_clean()
    assert "extra_fields" in caught.value.message_dict


# --- Answers -------------------------------------------------------------------------------------


def test_answers_of_every_datatype_are_cleaned(lift):
    cleaned = clean_answers(
        lift,
        {
            "building": " 3号楼2单元 ",
            "floors": "18",
            "since": "2026-05-04T09:30:00+08:00",
            "notes": "晚上",
            "trapped": "yes",
            "who": ["child", "elderly", "child"],
        },
    )
    assert cleaned == {
        "building": "3号楼2单元",
        "floors": 18,
        "since": "2026-05-04T09:30:00+08:00",
        "notes": "晚上",
        "trapped": "yes",
        "who": ["elderly", "child"],  # in the definition's order, once each
    }
    assert clean_answers(lift, {"building": "1", "trapped": "no", "floors": "2.5"})["floors"] == 2.5


def test_a_datetime_without_offset_is_taken_in_local_time(lift):
    cleaned = clean_answers(lift, {"building": "1", "trapped": "no", "since": "2026-05-04T09:30"})
    assert cleaned["since"] == "2026-05-04T09:30:00+08:00"


def test_empty_optional_answers_are_left_out(lift):
    assert clean_answers(lift, {"building": "1", "trapped": "no", "floors": "", "who": []}) == {
        "building": "1",
        "trapped": "no",
    }


def test_required_answers_missing_are_named(lift):
    errors = errors_of(lift, {"building": "  "})
    assert errors == {
        "building": ["Building: this field is required."],
        "trapped": ["Anyone trapped: this field is required."],
    }


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("floors", "many", "Floors: Enter a number."),
        ("floors", "NaN", "Floors: Enter a number."),
        ("since", "yesterday", "Since: Enter a date and time in W3C (ISO 8601) format"),
        ("trapped", "maybe", "Anyone trapped: maybe is not among the choices: yes, no."),
        ("trapped", ["yes", "no"], "Anyone trapped: Give one value."),
        ("who", ["child", "dog"], "Who: dog is not among the choices: elderly, child."),
        ("notes", "x" * 2001, "Write at most 2000 characters."),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(lift, code, value, message):
    errors = errors_of(lift, {"building": "1", "trapped": "no", code: value})
    assert list(errors) == [code]
    assert message in errors[code][0]


def test_unknown_codes_are_refused(lift):
    errors = errors_of(lift, {"building": "1", "trapped": "no", "colour": "red"})
    assert list(errors) == ["colour"]
    assert "no field colour" in errors["colour"][0]
    plain = mf.category("other", "其他")
    assert list(errors_of(plain, {"colour": "red"})) == ["colour"]
    assert clean_answers(plain, {}) == {}


def test_answers_are_shown_with_labels_and_value_names(lift):
    answers = clean_answers(lift, {"building": "3号楼", "trapped": "yes", "who": ["elderly"]})
    with translation.override("en"):
        assert display(lift, answers) == [
            ("Building", "3号楼"),
            ("Anyone trapped", "Yes"),
            ("Who", "Elderly"),
        ]
    with translation.override("zh-hans"):
        assert display(lift, answers)[1] == ("是否有人被困", "是")


def test_the_default_categories_ask_for_optional_extra_fields():
    lift = Category.objects.get(code="property.elevator")
    lights = Category.objects.get(code="roads.lights")
    assert [d["code"] for d in lift.extra_fields] == ["building", "trapped"]
    assert [d["code"] for d in lights.extra_fields] == ["lights_out"]
    # The data migration's definitions pass the same check as an administrator's.
    assert validate_definition(lift.extra_fields) == lift.extra_fields
    assert not any(d["required"] for d in lift.extra_fields + lights.extra_fields)
    assert clean_answers(lights, {"lights_out": "4"}) == {"lights_out": 4}
