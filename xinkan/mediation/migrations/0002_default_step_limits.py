"""The default time limit of each step, as data an administrator may change (mediation/limits.py)."""

from django.db import migrations

DEFAULTS = [(1, 7, "days", 48), (2, 10, "days", 48), (3, 15, "days", 72), (4, 30, "days", 72)]


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    StepLimit = apps.get_model("mediation", "StepLimit")
    for step, amount, time_unit, warn in DEFAULTS:
        StepLimit.objects.get_or_create(
            step=step,
            unit=None,
            defaults={"amount": amount, "time_unit": time_unit, "warn_hours": warn},
        )


class Migration(migrations.Migration):
    dependencies = [("mediation", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
