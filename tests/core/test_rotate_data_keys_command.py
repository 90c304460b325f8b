from __future__ import annotations

import base64

from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests.matters import factories as mf
from xinkan.audit.models import AuditEntry
from xinkan.core import crypto
from xinkan.matters.models import Matter

OLD = "old1:" + base64.b64encode(b"O" * 32).decode()
NEW = "new2:" + base64.b64encode(b"N" * 32).decode()


def _raw_phone(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM matters_matter WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_rotation_re_encrypts_every_value_with_the_current_key_and_keeps_it_readable(cast):
    with override_settings(XINKAN_DATA_KEYS=OLD):
        matter = mf.matter(cast.grid, cast.grid_worker, contact_phone="13912345678")
        assert crypto.token_key_id(_raw_phone(matter.pk)) == "old1"
    with override_settings(XINKAN_DATA_KEYS=f"{NEW},{OLD}"):
        call_command("rotate_data_keys", batch_size=1)
        assert crypto.token_key_id(_raw_phone(matter.pk)) == "new2"
    with override_settings(XINKAN_DATA_KEYS=NEW):  # the old key can now be dropped
        assert Matter.objects.get(pk=matter.pk).contact_phone == "13912345678"
    entry = AuditEntry.objects.filter(action="core.data_keys.rotated").latest("id")
    assert entry.data["re_encrypted"] >= 1


def test_rotation_is_resumable_and_skips_values_already_on_the_current_key(cast):
    with override_settings(XINKAN_DATA_KEYS=NEW):
        matter = mf.matter(cast.grid, cast.grid_worker, contact_phone="13912345678")
        before = _raw_phone(matter.pk)
        call_command("rotate_data_keys")
        assert _raw_phone(matter.pk) == before
