"""On PostgreSQL, a trigger refuses UPDATE and DELETE on the carbon ledger: it is append-only.

TRUNCATE (a table-owner operation that tests use to reset the database) is left to database privileges: in
production the application role should not own the table (see docs/accounting.md)."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION carbon_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'carbon ledger is append-only: % refused on entry %', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER carbon_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON carbon_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION carbon_ledger_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("carbon", "0002_reference_data")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
