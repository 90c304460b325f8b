"""Re-encrypt every encrypted column with the current data key (the first of XINKAN_DATA_KEYS).

Rotation: put a new key first in XINKAN_DATA_KEYS, keep the old one after it, deploy, run this
command, then remove the old key. Safe to interrupt and run again: rows already on the current key
are skipped.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from xinkan.audit import services as audit
from xinkan.core import crypto


class Command(BaseCommand):
    help = "Re-encrypt personal data at rest with the current key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        current = crypto.current_key_id()
        batch = options["batch_size"]
        total = 0
        for model in apps.get_models():
            fields = [
                f for f in model._meta.concrete_fields if isinstance(f, crypto.EncryptedTextField)
            ]
            if not fields:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(model._meta.pk.column)
            for field in fields:
                column = connection.ops.quote_name(field.column)
                last = None
                while True:
                    # Raw reads: the tokens themselves, to see which key each was made with.
                    with connection.cursor() as cursor:
                        if last is None:
                            cursor.execute(
                                f"SELECT {pk}, {column} FROM {table} WHERE {column} <> '' "  # noqa: S608
                                f"ORDER BY {pk} LIMIT %s",
                                [batch],
                            )
                        else:
                            cursor.execute(
                                f"SELECT {pk}, {column} FROM {table} WHERE {column} <> '' "  # noqa: S608
                                f"AND {pk} > %s ORDER BY {pk} LIMIT %s",
                                [last, batch],
                            )
                        rows = cursor.fetchall()
                    if not rows:
                        break
                    last = rows[-1][0]
                    stale = [
                        (row_id, token)
                        for row_id, token in rows
                        if crypto.token_key_id(token) != current
                    ]
                    with transaction.atomic(), connection.cursor() as cursor:
                        for row_id, token in stale:
                            cursor.execute(
                                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                                [crypto.encrypt(crypto.decrypt(token)), row_id],
                            )
                    total += len(stale)
            self.stdout.write(f"{model._meta.label}: checked")
        audit.record(
            actor=None,
            actor_label="system:rotate_data_keys",
            action="core.data_keys.rotated",
            data={"re_encrypted": total, "current_key": current},
        )
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} values with key {current}."))
