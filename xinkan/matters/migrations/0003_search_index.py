"""PostgreSQL: a GIN full-text index over the jieba-segmented words of each matter."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS matter_search_gin ON matters_matter "
    "USING gin (to_tsvector('simple'::regconfig, search_text))"
)
DROP = "DROP INDEX IF EXISTS matter_search_gin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("matters", "0002_default_categories_and_deadlines")]

    operations = [migrations.RunPython(forwards, backwards)]
