"""One sensible default scheme of the seven colours (七色分类); communities change the meanings and
frequencies under Administration. Sensitive ones follow PIPL Art. 28."""

from django.db import migrations

SCHEME = [
    # colour, meaning, description, visit every (days), sensitive
    ("red", "重点关注人员", "需重点关注、定期走访的人员", 30, True),
    ("orange", "独居老人", "独居或空巢的老年人", 14, False),
    ("yellow", "低保及困难家庭", "享受低保、特困供养或临时救助的家庭成员", 30, True),
    ("green", "无事户", "家庭和睦、无矛盾隐患的住户", 180, False),
    ("cyan", "出租房屋及流动人口", "租住人员、新迁入人员", 90, False),
    ("blue", "残疾人", "持残疾证或需要照护的残疾人", 30, True),
    ("purple", "留守及困境儿童", "父母外出务工或生活困难的未成年人", 30, True),
]


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    ColourCategory = apps.get_model("residents", "ColourCategory")
    for colour, name, description, every, sensitive in SCHEME:
        ColourCategory.objects.get_or_create(
            colour=colour,
            defaults={
                "name": name,
                "description": description,
                "visit_every_days": every,
                "sensitive": sensitive,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_personal_fields_and_colours")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
