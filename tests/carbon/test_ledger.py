"""The carbon ledger on PostgreSQL: append-only trigger, hash chain verification, reversals and restatement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from carbon.ledger import ledger_reverse, ledger_verify, period_close, period_restate, restatement_check
from carbon.models import AccountingPeriod, EmissionFactor, FactorSet, LedgerEntry, Restatement
from energy_platform.errors import ApplicationError
from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import MeterFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)


@pytest.fixture
def closed_march():
    site = SiteFactory(region_code="320100", enterprise__region_code="320100")  # Jiangsu → East China grid
    MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=43200)
    MeterFactory(site=site, code="COAL", carrier=Carrier.RAW_COAL, unit="t", interval_minutes=43200)
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-03-01T00:00:00+08:00", 200_000),
                                     RawRow(1, "COAL", "2025-03-01T00:00:00+08:00", 10)])
    rollup_sweep()
    user = UserFactory()
    entries = period_close(enterprise=site.enterprise, month=MARCH, actor=user)
    return site, user, entries


def test_closing_a_month_posts_entries_with_factors_and_a_valid_chain(closed_march):
    site, _, entries = closed_march
    by_source = {e.source: e for e in entries}
    # 200 MWh × 0.5500 (East China 2023) = 110 tCO2; 10 t coal × 2.071509 = 20.71509 tCO2 (DOMAIN.md §2, §3)
    assert by_source["electricity"].tco2 == Decimal("110.000000")
    assert by_source["raw_coal"].tco2 == Decimal("20.715090")
    assert by_source["electricity"].factor.value == Decimal("0.550000")
    result = ledger_verify(enterprise=site.enterprise)
    assert result["ok"] is True
    assert result["entries"] == 2
    with pytest.raises(ApplicationError):
        period_close(enterprise=site.enterprise, month=MARCH)


def test_trigger_refuses_update_and_delete(closed_march):
    entry = closed_march[2][0]
    for sql in ("UPDATE carbon_ledgerentry SET tco2 = 0 WHERE id = %s", "DELETE FROM carbon_ledgerentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).tco2 == entry.tco2


def test_verify_names_the_first_tampered_entry(closed_march):
    site, _, entries = closed_march
    second = entries[1]
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush deferred FK checks so the table can be altered
        cur.execute("ALTER TABLE carbon_ledgerentry DISABLE TRIGGER carbon_ledgerentry_append_only")
        cur.execute("UPDATE carbon_ledgerentry SET tco2 = tco2 - 1 WHERE id = %s", [second.pk])
        cur.execute("ALTER TABLE carbon_ledgerentry ENABLE TRIGGER carbon_ledgerentry_append_only")
    result = ledger_verify(enterprise=site.enterprise)
    assert result["ok"] is False
    assert result["first_broken"]["seq"] == second.seq
    with pytest.raises(SystemExit) as exc:
        call_command("verify_ledger", "--enterprise", str(site.enterprise.pk))
    assert exc.value.code == 1


def test_reversing_correction_appends_and_keeps_the_chain(closed_march):
    site, user, entries = closed_march
    reversal = ledger_reverse(entry=entries[0], reason="meter multiplier was wrong", actor=user)
    assert reversal.tco2 == -entries[0].tco2
    assert reversal.reverses_id == entries[0].pk
    assert ledger_verify(enterprise=site.enterprise)["ok"] is True
    with pytest.raises(ApplicationError):
        ledger_reverse(entry=entries[0], reason="again", actor=user)


def test_new_factor_version_flags_a_restatement_and_never_changes_the_closed_month(closed_march):
    site, user, _ = closed_march
    booked = sum(e.tco2 for e in LedgerEntry.objects.filter(enterprise=site.enterprise))
    fs = FactorSet.objects.create(name="National grid emission factors, data year 2024", version="2024",
                                  publisher="MEE", data_year=2024, source="test: a newer data year")
    EmissionFactor.objects.create(factor_set=fs, kind="grid_electricity", carrier="electricity", geography="east",
                                  value=Decimal("0.5000"), activity_unit="MWh", source="test")
    assert restatement_check(enterprise=site.enterprise) == [MARCH]
    period = AccountingPeriod.objects.get(enterprise=site.enterprise, month=MARCH)
    assert period.restatement_pending is True
    assert "electricity" in period.restatement_reason
    assert sum(e.tco2 for e in LedgerEntry.objects.filter(enterprise=site.enterprise)) == booked

    from reports.models import ReportSnapshot

    report = ReportSnapshot.objects.create(enterprise=site.enterprise, kind="ghg", year=2025, format="json",
                                           lang="en", status="done", version=1)
    period_restate(enterprise=site.enterprise, month=MARCH, reason="2024 grid factor published", actor=user)
    restatement = Restatement.objects.get(enterprise=site.enterprise)
    assert len(restatement.superseded_reports) == 1
    assert str(report.pk) in restatement.superseded_reports[0]
    assert ReportSnapshot.objects.get(pk=report.pk).superseded is True
    # Net of reversals the month now holds 200 MWh × 0.5000 = 100 tCO2 for electricity plus coal 20.71509.
    net = sum(e.tco2 for e in LedgerEntry.objects.filter(enterprise=site.enterprise))
    assert net == Decimal("120.715090")
    assert ledger_verify(enterprise=site.enterprise)["ok"] is True
    assert AccountingPeriod.objects.get(pk=period.pk).restatement_pending is False
    assert restatement_check(enterprise=site.enterprise) == []


def test_months_close_automatically_after_the_configured_days(settings):
    from carbon.tasks import periods_autoclose_task

    site = SiteFactory()
    MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=43200)
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-03-01T00:00:00+08:00", 1000),
                                     RawRow(1, "E", "2025-04-01T00:00:00+08:00", 1000)])
    rollup_sweep()
    settings.LEDGER_AUTO_CLOSE_DAYS = 5
    from unittest import mock

    # "Today" is 2025-05-03: March ended more than 5 days ago, April only 2 days ago.
    with mock.patch("django.utils.timezone.localdate", return_value=dt.date(2025, 5, 3)):
        assert periods_autoclose_task() == 1
    closed = AccountingPeriod.objects.get(enterprise=site.enterprise, status="closed")
    assert closed.month == MARCH
    assert LedgerEntry.objects.filter(enterprise=site.enterprise, month=MARCH).count() == 1
