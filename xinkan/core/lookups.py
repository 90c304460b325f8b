"""`field__any_of=[ids]`: membership in a list, sent to PostgreSQL as ONE array parameter
(`field = ANY(%s::bigint[])`) instead of one parameter per value (`IN (%s, %s, …)`).

The scope filters (org/scope.py) list the ids of every unit in a user's scope; for a leader of a
district that is thousands, of a city tens of thousands. As an IN list each id is a parameter that
Django compiles and psycopg converts one by one, and the statement text grows with it; as an array
it is one value. PostgreSQL plans `= ANY(array)` like IN (an index scan per value, or a hash).
Elsewhere (SQLite) it is the ordinary IN.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = sorted({value for value in self.rhs if value is not None})
        if not values:
            raise EmptyResultSet
        target = getattr(self.lhs.output_field, "target_field", None) or self.lhs.output_field
        db_type = target.db_type(connection) or "bigint"
        db_type = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(
            db_type, db_type
        )
        return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, values]


def register() -> None:
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)  # foreign keys keep their own lookups
