"""Product carbon footprint (cradle-to-gate, gate = the site's scope 1 + scope 2) per unit of product.

Allocation rule (written into the report): a site's annual emissions (`carbon.emissions.site_emissions`) are
allocated to its products in proportion to their output (mass/quantity share, GB/T 24067-style physical
allocation); this needs all products of a site in one unit. Metered-energy and economic allocation are NOT built.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from carbon.emissions import site_emissions
from carbon.kpis import product_output
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from plants.models import Product

from . import Column, Document, Section, Table

Q6 = Decimal("0.000001")


def build_footprint(*, enterprise, year: int) -> Document:
    period = Period.year(year)
    rows, versions = [], set()
    for site in enterprise.sites.all().order_by("code"):
        products = [(p, product_output(product=p, period=period) or Decimal(0))
                    for p in Product.objects.filter(site=site).order_by("code")]
        products = [(p, out) for p, out in products if out > 0]
        if not products:
            continue
        if len({p.unit for p, _out in products}) > 1:
            raise ApplicationError("footprint_mixed_units", f"Site {site.code}: products in different units cannot "
                                   "be allocated by output share.", status_code=400)
        em = site_emissions(site=site, period=period)
        versions.update(em["factor_versions"])
        total_out = sum((out for _p, out in products), Decimal(0))
        for p, out in products:
            share = out / total_out
            tco2 = (em["total_tco2"] * share).quantize(Q6)
            rows.append([site.code, p.code, p.name, out, p.unit, share.quantize(Q6), tco2,
                         (tco2 * 1000 / out).quantize(Q6)])
    table = Table(
        [Column("site", _("Site")), Column("product", _("Product")), Column("name", _("Name")),
         Column("output", _("Output")), Column("unit", _("Unit")), Column("share", _("Allocation share"), "ratio"),
         Column("tco2", _("Allocated emissions"), "tCO2"),
         Column("kgco2_per_unit", _("Footprint per unit"), "kgCO2/unit")],
        rows,
    )
    method = _("Cradle-to-gate: the site's scope 1 and scope 2 emissions of the year, allocated to its products "
               "by output share (mass). Upstream emissions of purchased materials are not included.")
    return Document(
        kind="footprint", title=_("Product carbon footprint %(year)s") % {"year": year},
        meta={"enterprise": enterprise.name, "credit_code": enterprise.credit_code, "year": year,
              "period": str(period), "allocation": "mass"},
        sections=[Section("products", _("Footprint per product"), [table], [method])],
        factor_versions=sorted(versions),
    )
