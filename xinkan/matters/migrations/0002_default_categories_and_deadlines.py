"""Default category tree and deadlines policy (《信访工作条例》 defaults; editable as data)."""

from django.db import migrations

CATEGORIES = [
    # code, name, English name, children [(code, name, English)]
    ("housing", "住房保障", "Housing", [
        ("housing.repair", "房屋维修", "House repairs"),
        ("housing.subsidy", "住房补贴与保障房", "Housing subsidies and public housing"),
    ]),
    ("property", "物业管理", "Property management", [
        ("property.elevator", "电梯故障", "Lifts out of order"),
        ("property.heating", "供暖供水", "Heating and water supply"),
        ("property.fees", "物业收费", "Property fees"),
    ]),
    ("roads", "道路与照明", "Roads and lighting", [
        ("roads.lights", "路灯损坏", "Broken street lights"),
        ("roads.damage", "道路破损", "Damaged roads"),
        ("roads.parking", "停车管理", "Parking"),
    ]),
    ("sanitation", "环境卫生", "Sanitation", [
        ("sanitation.waste", "垃圾清运", "Waste collection"),
        ("sanitation.noise", "噪音扰民", "Noise"),
        ("sanitation.drains", "下水道堵塞", "Blocked drains"),
    ]),
    ("social", "社会保障", "Social security", [
        ("social.allowance", "低保与救助", "Subsistence allowance and relief"),
        ("social.elderly", "养老服务", "Care for the elderly"),
        ("social.medical", "医疗保险", "Medical insurance"),
    ]),
    ("labour", "就业与工资", "Employment and wages", [
        ("labour.wages", "拖欠工资", "Unpaid wages"),
        ("labour.jobs", "就业援助", "Help finding work"),
    ]),
    ("land", "土地征收与拆迁", "Land and demolition", []),
    ("neighbours", "邻里关系", "Neighbours", []),
    ("safety", "公共安全", "Public safety", [
        ("safety.fire", "消防隐患", "Fire hazards"),
        ("safety.buildings", "危房隐患", "Unsafe buildings"),
    ]),
    ("other", "其他", "Other", []),
]

POLICIES = [
    # stage, amount, time unit, warn hours, max extension days, note
    ("respond", 2, "working_days", 4, 0, "首次响应（本地实践）"),
    ("accept", 15, "days", 72, 0, "《信访工作条例》第二十二、二十三条：15日内告知是否受理"),
    ("handle", 60, "days", 168, 30, "《信访工作条例》第三十四条：60日内办结，可延长不超过30日"),
    ("follow_up", 7, "days", 48, 0, "答复后回访（接诉即办实践）"),
    ("review", 30, "days", 72, 0, "《信访工作条例》第三十五条：复查30日内作出意见"),
    ("rereview", 30, "days", 72, 0, "《信访工作条例》第三十六条：复核30日内作出意见"),
    ("proxy", 15, "working_days", 48, 0, "代办时限（霸州带办实践）"),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("matters", "Category")
    DeadlinePolicy = apps.get_model("matters", "DeadlinePolicy")
    for sort, (code, name, name_en, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort": sort * 10}
        )
        for child_sort, (child_code, child_name, child_en) in enumerate(children):
            Category.objects.get_or_create(
                code=child_code,
                defaults={"name": child_name, "name_en": child_en, "parent": parent, "sort": child_sort},
            )
    for stage, amount, time_unit, warn, extension, note in POLICIES:
        DeadlinePolicy.objects.get_or_create(
            stage=stage, category=None, unit=None,
            defaults={
                "amount": amount, "time_unit": time_unit, "warn_hours": warn,
                "max_extension_days": extension, "note": note,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("matters", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
