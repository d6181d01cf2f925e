"""`field__any_of=[...]`: membership in a list passed as ONE array parameter on PostgreSQL (`field = ANY(%s)`).

`__in` with hundreds of values writes a placeholder per value; PostgreSQL then plans a statement of a different
shape for every list length, and with a join on the parent instead it scans where it could walk an index. One array
parameter keeps the statement and its plan the same: an index walk per value. Other databases get `__in`.
Registered on every field when this module is imported; meters.apps imports it at start-up."""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


@ForeignObject.register_lookup  # related fields keep lookups of their own
@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [v if type(v) is int else field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]
        return f"{lhs} = ANY(%s)", [*lhs_params, values]
