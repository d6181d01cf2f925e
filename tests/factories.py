"""factory_boy factories for the domain model."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.contrib.auth import get_user_model

from accounts.models import Membership, RegulatorJurisdiction, Role
from meters.models import Carrier, Gateway, Meter
from plants.models import EconomicData, Enterprise, Product, ProductionData, ProductionUnit, Site
from plants.validators import credit_code_check_character

_credit_seq = itertools.count(1)


def make_credit_code(n: int | None = None) -> str:
    """A valid unified social credit code (GB 32100-2015 check character) built from a counter."""
    n = next(_credit_seq) if n is None else n
    first17 = f"91310000MA{n:07d}"
    return first17 + credit_code_check_character(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-1")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"Enterprise {n}")
    credit_code = factory.LazyFunction(make_credit_code)
    industry_code = "C3120"
    region_code = "310115"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    enterprise = factory.SubFactory(EnterpriseFactory)
    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"Site {n}")
    kind = Site.Kind.FACTORY
    region_code = factory.SelfAttribute("enterprise.region_code")


class ProductionUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionUnit

    site = factory.SubFactory(SiteFactory)
    code = factory.Sequence(lambda n: f"U{n:03d}")
    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = ProductionUnit.Kind.WORKSHOP


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    site = factory.SubFactory(SiteFactory)
    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit = Product.Unit.TONNE


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    site = factory.SubFactory(SiteFactory)
    code = factory.Sequence(lambda n: f"M{n:04d}")
    carrier = Carrier.ELECTRICITY
    unit = "kWh"
    reading_kind = Meter.ReadingKind.INTERVAL
    level = Meter.Level.ENTERPRISE
    role = Meter.Role.PURCHASE
    interval_minutes = 15
    active_from = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class GatewayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gateway

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"gw{n}")


class EconomicDataFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EconomicData

    site = factory.SubFactory(SiteFactory)
    month = dt.date(2025, 1, 1)
    value_added_10k_cny = 1000


class ProductionDataFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionData

    product = factory.SubFactory(ProductFactory)
    month = dt.date(2025, 1, 1)
    quantity = 100


def member(user, enterprise, role=Role.ENERGY_MANAGER) -> Membership:
    return Membership.objects.create(user=user, enterprise=enterprise, role=role)


def regulator(user, prefix: str) -> RegulatorJurisdiction:
    return RegulatorJurisdiction.objects.create(user=user, region_prefix=prefix)
