"""On PostgreSQL, rebuild meters_reading as a table range-partitioned by month on ts (SQLite keeps a plain table)."""

import datetime as dt

from django.db import migrations

CREATE = """
DROP TABLE meters_reading;
CREATE TABLE meters_reading (
    meter_id bigint NOT NULL REFERENCES meters_meter (id),
    ts timestamp with time zone NOT NULL,
    value double precision NOT NULL,
    batch_id bigint NULL,
    estimated boolean NOT NULL DEFAULT false,
    PRIMARY KEY (meter_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE meters_reading_default PARTITION OF meters_reading DEFAULT;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from meters.services.partitions import month_add, reading_partitions_ensure

    schema_editor.execute(CREATE)
    today = dt.datetime.now(dt.UTC).date()
    reading_partitions_ensure(start=dt.date(2024, 1, 1), end=month_add(dt.date(today.year, today.month, 1), 4),
                              using=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("meters", "0002_ingest_records_imports_bills")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
