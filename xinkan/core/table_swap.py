"""Rebuilding a derived table beside the live one and swapping it in (PostgreSQL).

Writing millions of rows into a table that keeps its indexes costs a random B-tree insert per
row and index, and deleting the old rows first leaves as many dead ones. Instead the rows go into
a bare copy of the table (same columns, defaults and identity; no index, no constraint), the
constraints and indexes are then made in one sort each, and the copy takes the table's place: the
old table is dropped and the copy, its constraints, indexes and sequence renamed to the old names,
so migrations and the ORM see the same table as before.

All of it runs in the caller's transaction: readers see the old rows until the commit and wait
only for the rename at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, models

SUFFIX = "__build"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class Rebuilt:
    """One table being rebuilt: `name` is where the new rows go."""

    model: type[models.Model]
    # (original name, temporary name) of each constraint and index made on the copy.
    renames: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def name(self) -> str:
        return self.table + SUFFIX

    def create(self) -> None:
        """The bare copy, empty (one left by an interrupted rebuild is dropped first)."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_quote(self.name)}")
            cursor.execute(
                f"CREATE TABLE {_quote(self.name)} (LIKE {_quote(self.table)} "
                "INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )

    def finish(self) -> None:
        """The table's constraints and indexes, made on the filled copy under temporary names."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid), c.conindid "
                "FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u', 'c', 'x') "
                "ORDER BY c.contype DESC, c.conname",
                [self.table],
            )
            constraints = cursor.fetchall()
            backing = {index_oid for _name, _definition, index_oid in constraints if index_oid}
            for number, (name, definition, _index) in enumerate(constraints):
                temporary = f"{self.name}_c{number}"
                cursor.execute(
                    f"ALTER TABLE {_quote(self.name)} "
                    f"ADD CONSTRAINT {_quote(temporary)} {definition}"
                )
                self.renames.append((name, temporary, True))
            cursor.execute(
                "SELECT i.indexrelid, c.relname, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass",
                [self.table],
            )
            for number, (oid, name, definition) in enumerate(cursor.fetchall()):
                if oid in backing:
                    continue
                temporary = f"{self.name}_i{number}"
                head, _on, rest = definition.partition(" ON ")
                _table, _space, columns = rest.partition(" ")
                unique = "UNIQUE " if head.startswith("CREATE UNIQUE") else ""
                cursor.execute(
                    f"CREATE {unique}INDEX {_quote(temporary)} ON {_quote(self.name)} {columns}"
                )
                self.renames.append((name, temporary, False))
            cursor.execute(f"ANALYZE {_quote(self.name)}")

    def swap(self) -> None:
        """The copy in the table's place, under the table's names."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.name])
            row = cursor.fetchone()
            sequence = row[0] if row else None
            cursor.execute(f"DROP TABLE {_quote(self.table)}")
            cursor.execute(f"ALTER TABLE {_quote(self.name)} RENAME TO {_quote(self.table)}")
            for original, temporary, is_constraint in self.renames:
                if is_constraint:
                    cursor.execute(
                        f"ALTER TABLE {_quote(self.table)} "
                        f"RENAME CONSTRAINT {_quote(temporary)} TO {_quote(original)}"
                    )
                else:
                    cursor.execute(f"ALTER INDEX {_quote(temporary)} RENAME TO {_quote(original)}")
            if sequence:
                cursor.execute(
                    f"ALTER SEQUENCE {sequence} RENAME TO {_quote(self.table + '_id_seq')}"
                )
