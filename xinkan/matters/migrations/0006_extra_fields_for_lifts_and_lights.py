"""Extra fields for two default categories (editable as data, like the category tree).

Optional on purpose: the resident portal and the square register matters of these categories
without asking for extra fields, and a required field would turn those submissions away.
"""

from django.db import migrations

FIELDS = {
    "property.elevator": [
        {
            "code": "building",
            "label": "楼号及单元",
            "label_en": "Building and entrance",
            "datatype": "string",
            "required": False,
            "order": 1,
        },
        {
            "code": "trapped",
            "label": "是否有人被困",
            "label_en": "Is anyone trapped?",
            "datatype": "singlevaluelist",
            "required": False,
            "order": 2,
            "values": [
                {"key": "yes", "name": "有人被困", "name_en": "Yes, people are trapped"},
                {"key": "no", "name": "无人被困", "name_en": "No"},
            ],
        },
    ],
    "roads.lights": [
        {
            "code": "lights_out",
            "label": "不亮的路灯数",
            "label_en": "Number of lights out",
            "datatype": "number",
            "required": False,
            "order": 1,
        },
    ],
}


def forwards(apps, schema_editor):
    Category = apps.get_model("matters", "Category")
    for code, fields in FIELDS.items():
        for category in Category.objects.filter(code=code):
            if not category.extra_fields:  # only where nobody has configured fields yet
                category.extra_fields = fields
                category.save(update_fields=["extra_fields"])


def backwards(apps, schema_editor):
    Category = apps.get_model("matters", "Category")
    for code, fields in FIELDS.items():
        for category in Category.objects.filter(code=code):
            if category.extra_fields == fields:
                category.extra_fields = []
                category.save(update_fields=["extra_fields"])


class Migration(migrations.Migration):
    dependencies = [("matters", "0005_category_extra_fields")]

    operations = [migrations.RunPython(forwards, backwards)]
