"""Model validation: credit codes, region and industry codes, trees without cycles."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from meters.models import Carrier
from plants.validators import (
    credit_code_check_character,
    validate_credit_code,
    validate_industry_code,
    validate_region_code,
)
from tests.factories import MeterFactory, ProductionUnitFactory, SiteFactory


@pytest.mark.parametrize("code", ["9144030071526726XG", "91330100799655058B", "91110000802100433B"])
def test_published_credit_codes_pass_the_check_digit(code):
    validate_credit_code(code)


def test_credit_code_check_character_by_hand():
    # First 17 of 91110000802100433B; weights 3^i mod 31 = 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28.
    # Σ value×weight = 9·1+1·3+1·9+1·27+0+0+0+0+8·20+0+2·25+1·13+0+0+4·10+3·30+3·28 = 485; 485 mod 31 = 20;
    # 31 − 20 = 11 → alphabet[11] = "B".
    assert credit_code_check_character("91110000802100433") == "B"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("9144030071526726XA", "credit_code_check"),
        ("9144030071526726X", "credit_code_length"),
        ("9144030071526726IG", "credit_code_charset"),
    ],
)
def test_bad_credit_codes_are_refused_with_a_specific_code(code, error):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == error


@pytest.mark.parametrize("code", ["31011", "3101155", "ab0115", "990115"])
def test_bad_region_codes_are_refused(code):
    with pytest.raises(ValidationError):
        validate_region_code(code)


def test_region_code_of_a_real_district_passes():
    validate_region_code("310115")  # Pudong New Area


@pytest.mark.parametrize(("code", "ok"), [("C3120", True), ("C31", True), ("C", True), ("3120", False), ("Z31", False)])
def test_industry_codes(code, ok):
    if ok:
        validate_industry_code(code)
    else:
        with pytest.raises(ValidationError):
            validate_industry_code(code)


@pytest.mark.django_db
def test_meter_tree_cycle_is_refused():
    site = SiteFactory()
    root = MeterFactory(site=site)
    child = MeterFactory(site=site, parent=root)
    grandchild = MeterFactory(site=site, parent=child)
    root.parent = grandchild
    with translation.override("en"):  # the message is translated lazily, when it is read
        with pytest.raises(ValidationError) as exc:
            root.full_clean()
        assert "cycle" in str(exc.value)


@pytest.mark.django_db
def test_meter_parent_must_measure_the_same_carrier_on_the_same_site():
    site = SiteFactory()
    gas = MeterFactory(site=site, carrier=Carrier.NATURAL_GAS, unit="m3")
    elec = MeterFactory(site=site, parent=gas)
    with pytest.raises(ValidationError):
        elec.full_clean()
    other_site_parent = MeterFactory()
    elec.parent = other_site_parent
    with pytest.raises(ValidationError):
        elec.full_clean()


@pytest.mark.django_db
def test_production_unit_cycle_is_refused():
    site = SiteFactory()
    a = ProductionUnitFactory(site=site)
    b = ProductionUnitFactory(site=site, parent=a)
    a.parent = b
    with pytest.raises(ValidationError):
        a.full_clean()
