"""The cost API: band lines that add up to the total, the tariff version named, tenancy and bad input."""

from decimal import Decimal

import pytest

from tests.paths import site_api

pytestmark = pytest.mark.django_db
D = Decimal


def test_site_costs_lines_add_up_to_the_total_and_name_the_tariff(costed, api_client):
    api_client.force_authenticate(costed["viewer_a"])
    r = api_client.get(site_api("A1") + "costs/?period=2025-07")
    assert r.status_code == 200
    body = r.json()
    lines = {(line["kind"], line.get("band") or line.get("carrier")): D(line["cost_cny"]) for line in body["lines"]}
    # The billing meter only (the sub-meter is inside it): the hand-worked day of test_compute, 120 kW × 40 = 4800
    # capacity, funds 980 × 0.03 = 29.4; gas: the day starting 08:00 local (00:00 UTC) 100 m³ × 3.5 = 350.
    assert lines == {("energy", "critical_peak"): D("120.00"), ("energy", "peak"): D("240.00"),
                     ("energy", "flat"): D("192.00"), ("energy", "valley"): D("24.00"),
                     ("energy", "deep_valley"): D("48.00"), ("funds", None): D("29.40"),
                     ("capacity", None): D("4800.00"), ("carrier", "natural_gas"): D("350.00")}
    assert D(body["total_cny"]) == sum(lines.values()) == D("5803.40")  # 624 + 29.4 + 4800 + 350
    assert [t["name"] for t in body["tariff_versions"]] == ["A1 两部制"]
    assert body["max_demand"][0]["max_demand_kw"] == "120.0000"
    assert body["cost_per_value_added"]["value"] == "580.34"  # 5803.40 / 10
    # The product's unit has a metered workshop: 96 × 4 = 384 kWh, funds 384 × 0.03 = 11.52, and by band (4 kWh
    # every quarter-hour, no capacity charge for a sub-meter):
    # 24 × 4 × 0.2 + 8 × 4 × 0.3 + 32 × 4 × 0.6 + 24 × 4 × 1.0 + 8 × 4 × 1.2 = 19.2 + 9.6 + 76.8 + 96 + 38.4 = 240
    # + 11.52 = 251.52; per tonne 251.52 / 12 = 20.96.
    assert body["per_product"][0]["cost_per_unit"] == "20.9600"


def test_enterprise_and_unit_costs(costed, api_client):
    api_client.force_authenticate(costed["viewer_a"])
    ent = api_client.get(f"/api/v1/enterprises/{costed['a'].pk}/costs/?period=2025").json()
    assert ent["total_cny"] == "5803.40"
    unit = api_client.get(f"/api/v1/production-units/{costed['unit'].pk}/costs/?period=2025-07").json()
    assert unit["total_cny"] == "251.52"  # see the site test: 240 + 11.52
    assert unit["meters"] == ["E-W1"]


def test_foreign_costs_are_not_found_and_bad_period_is_400(costed, api_client):
    api_client.force_authenticate(costed["admin_b"])
    assert api_client.get(site_api("A1") + "costs/?period=2025-07").status_code == 404
    assert api_client.get(f"/api/v1/enterprises/{costed['a'].pk}/costs/?period=2025").status_code == 404
    assert api_client.get(f"/api/v1/production-units/{costed['unit'].pk}/costs/?period=2025").status_code == 404
    api_client.force_authenticate(costed["viewer_a"])
    r = api_client.get(site_api("A1") + "costs/?period=2025-13")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_period"


def test_site_cost_export_is_csv_per_meter_and_month_and_audited(costed, api_client):
    from accounts.models import AuditEvent

    api_client.force_authenticate(costed["viewer_a"])
    r = api_client.get(site_api("A1") + "costs/export/?period=2025")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    lines = r.content.decode().splitlines()
    assert lines[0].startswith("site,meter,carrier,unit,month,billing_meter,quantity,energy_cny")
    main = next(line.split(",") for line in lines[1:] if line.split(",")[1] == "E")
    # The hand-worked month: 980 kWh, 624 energy, 29.4 funds, 4800 capacity, total 5453.4, 120 kW at 19:00.
    assert main[4:10] == ["2025-07", "True", "980.0000", "624.0000", "29.4000", "4800.0000"]
    assert main[12:15] == ["5453.4000", "120.0000", "2025-07-01T19:00:00+08:00"]
    assert len(lines) == 4  # header + E, E-W1, G
    assert AuditEvent.objects.filter(action="data.export", detail__subject="site_costs").count() == 1


def test_site_cost_export_as_xlsx_has_the_csv_rows(costed, api_client):
    import io

    from openpyxl import load_workbook

    from accounts.models import AuditEvent

    api_client.force_authenticate(costed["viewer_a"])
    r = api_client.get(site_api("A1") + "costs/export/?period=2025&format=xlsx")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r["Content-Disposition"].endswith('2025.xlsx"')
    values = list(load_workbook(io.BytesIO(r.content)).worksheets[0].values)
    assert values[0][:8] == ("site", "meter", "carrier", "unit", "month", "billing_meter", "quantity", "energy_cny")
    assert len(values) == 4  # header + E, E-W1, G, as in the CSV
    main = next(row for row in values[1:] if row[1] == "E")
    # The hand-worked month (numbers as numbers): 980 kWh, 624 energy, 29.4 funds, 4800 capacity, total 5453.4.
    assert main[4:10] == ("2025-07", True, 980, 624, 29.4, 4800)
    assert main[12:15] == (5453.4, 120, "2025-07-01T19:00:00+08:00")
    assert AuditEvent.objects.filter(action="data.export", detail__format="xlsx").count() == 1
    bad = api_client.get(site_api("A1") + "costs/export/?period=2025&format=pdf")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_format"
