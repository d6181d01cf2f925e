"""Monthly value added / output by form: the chosen site or product is exactly what is saved, an overwrite needs an
explicit old -> new confirmation, and the message names what was saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from plants.models import EconomicData, ProductionData
from tests.factories import ProductFactory, SiteFactory


@pytest.fixture
def works(tenants):
    """Site A1 (value added stored for 2025-09: 1,000) and site RM1 whose product REBAR has the same id as site A1:
    the collision that made "RM1 / REBAR" save DC1's value added."""
    a1 = tenants["site_a"]
    rm1 = SiteFactory(enterprise=tenants["a"], code="RM1")
    rebar = ProductFactory(pk=a1.pk, site=rm1, code="REBAR", unit="t")
    EconomicData.objects.create(site=a1, month=dt.date(2025, 9, 1), value_added_10k_cny=Decimal("1000"))
    return {**tenants, "rm1": rm1, "rebar": rebar}


def _monthly(**over):
    return {"form": "monthly", "kind": "economic", "month": "2025-09", "value": "1234", "note": "", **over}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_product_id_posted_as_value_added_never_overwrites_a_site(client, works):
    # The request the old form sent for 类型 = 增加值, 厂区或产品 = "RM1 / REBAR": the product's bare id.
    client.force_login(works["manager_a"])
    response = client.post("/entry/", _monthly(target=str(works["rebar"].pk)))
    assert response.status_code == 400
    assert list(EconomicData.objects.values_list("site__code", "value_added_10k_cny")) == [("A1", Decimal("1000"))]


def test_value_added_with_a_product_chosen_is_a_form_error(client, works):
    client.force_login(works["manager_a"])
    response = client.post("/entry/", _monthly(target=f"product-{works['rebar'].pk}"))
    assert response.status_code == 400
    assert "Value added is entered for a site" in response.content.decode() or "增加值按厂区录入" in \
        response.content.decode()
    assert EconomicData.objects.count() == 1
    assert not ProductionData.objects.exists()


def test_the_site_and_product_lists_are_typed_and_grouped(client, works):
    client.force_login(works["manager_a"])
    page = client.get("/entry/").content.decode()
    assert f'value="site-{works["site_a"].pk}"' in page
    assert f'value="product-{works["rebar"].pk}"' in page
    assert page.count("<optgroup") == 2


def test_output_of_the_chosen_product_is_saved_and_named_in_the_message(client, works):
    client.force_login(works["manager_a"])
    response = client.post("/entry/", _monthly(kind="production", target=f"product-{works['rebar'].pk}",
                                               value="1234"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert list(ProductionData.objects.values_list("product__code", "month", "quantity")) == [
        ("REBAR", dt.date(2025, 9, 1), Decimal("1234"))]
    assert EconomicData.objects.get().value_added_10k_cny == Decimal("1000")  # A1 untouched
    assert _messages(response) == ["Saved: output of RM1 / REBAR for 2025-09 = 1,234 t."]


def test_overwriting_a_stored_value_asks_old_to_new_and_saves_only_when_confirmed(client, works):
    client.force_login(works["manager_a"])
    a1 = works["site_a"]
    response = client.post("/entry/", _monthly(target=f"site-{a1.pk}"), HTTP_ACCEPT_LANGUAGE="en")
    # Nothing saved yet: the page asks to replace 1,000 by 1,234 (10⁴ CNY) for A1's 2025-09.
    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="overwrite-confirm"' in page
    assert "1,000 10⁴ CNY" in page and "1,234 10⁴ CNY" in page
    assert "value added of site A1 for 2025-09" in page
    assert EconomicData.objects.count() == 1
    # The confirmation re-posts exactly what was entered, with the version it showed.
    assert '<input type="hidden" name="month" value="2025-09">' in page
    assert f'<input type="hidden" name="target" value="site-{a1.pk}">' in page
    assert '<input type="hidden" name="confirm_version" value="1">' in page
    response = client.post("/entry/", _monthly(target=f"site-{a1.pk}", confirm_version="1"), follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    latest = EconomicData.objects.filter(site=a1, month=dt.date(2025, 9, 1)).order_by("-version").first()
    assert (latest.version, latest.value_added_10k_cny) == (2, Decimal("1234"))
    assert _messages(response) == ["Saved: value added of site A1 for 2025-09 = 1,234 10⁴ CNY."]


def test_a_confirmation_of_an_older_version_asks_again(client, works):
    # Someone saved version 2 (1,100) after the user saw version 1: the user's yes was for 1,000 -> 1,234.
    a1 = works["site_a"]
    EconomicData.objects.create(site=a1, month=dt.date(2025, 9, 1), value_added_10k_cny=Decimal("1100"), version=2)
    client.force_login(works["manager_a"])
    response = client.post("/entry/", _monthly(target=f"site-{a1.pk}", confirm_version="1"),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "1,100 10⁴ CNY" in response.content.decode()
    assert EconomicData.objects.count() == 2


def test_new_value_added_message_in_chinese_names_site_month_and_unit(client, works):
    client.force_login(works["manager_a"])
    response = client.post("/entry/", _monthly(target=f"site-{works['site_a'].pk}", month="2025-10",
                                               value="2500.5"), follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _messages(response) == ["已保存：厂区 A1 2025-10 的工业增加值 = 2,500.5 万元。"]
