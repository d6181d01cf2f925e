"""Demo upstream data of the rolling mill for the product footprint and the EU CBAM export: the precursors it rolls
(slab for hot-rolled coil, billet for rebar) with their cradle-to-gate factors, monthly consumption, the CBAM
installation data. Every factor is flagged provisional with its source."""

from __future__ import annotations

from decimal import Decimal

from plants.models import Product, ProductionData, Site
from reports.models import CbamInstallation, MaterialPurchase, UpstreamFactor

#: t of semi-finished steel per t of rolled product: rolling yield 95.7 % (the demo's green-factory evidence,
#: "钢坯消耗统计（成材率 95.7 %）", 1 / 0.957 = 1.045)
BILLET_PER_T = Decimal("1.045")

FACTORS = [
    # code, name, cn, value, indirect, kind, supplier, source
    ("SLAB-BOF", "连铸板坯（长流程：铁矿石、球团、焦炭）Continuous-cast slab, BF-BOF route (iron ore, pellets, coke)",
     "72071200", Decimal("1.92"), Decimal("0"), UpstreamFactor.Kind.DEFAULT, "",
     "worldsteel Sustainability Indicators 2023: global average 1.92 tCO2/t crude steel cast, 2022 data [check]; "
     "indirect part not given by the source"),
    ("BILLET-EAF", "连铸方坯（短流程：废钢电炉）Continuous-cast billet, EAF route (scrap)", "72071100",
     Decimal("0.70"), Decimal("0.45"), UpstreamFactor.Kind.SUPPLIER, "唐山某电炉钢厂 Demo EAF supplier",
     "demo supplier communication (illustrative, not a published value); to be replaced by the supplier's verified "
     "CBAM data"),
]
FOR_PRODUCT = {"SLAB-BOF": "HRC", "BILLET-EAF": "REBAR"}
CN_CODES = {"HRC": "72083900", "REBAR": "72142000"}


def demo_footprint_cbam(*, site: Site) -> None:
    """Idempotent (update_or_create) for the rolling mill `site`."""
    ent = site.enterprise
    products = {p.code: p for p in Product.objects.filter(site=site, code__in=CN_CODES)}
    for code, cn in CN_CODES.items():
        if code in products and products[code].cn_code != cn:
            products[code].cn_code = cn
            products[code].save(update_fields=["cn_code"])
    for code, name, cn, value, indirect, kind, supplier, source in FACTORS:
        factor, _ = UpstreamFactor.objects.update_or_create(
            enterprise=ent, code=code, defaults={
                "name": name, "unit": "t", "value_tco2e_per_unit": value, "indirect_tco2e_per_unit": indirect,
                "kind": kind, "supplier": supplier, "source": source, "data_year": 2022 if kind == "default" else 2025,
                "provisional": True})
        product = products.get(FOR_PRODUCT[code])
        if product is None:
            continue
        for pd in _latest(product):
            MaterialPurchase.objects.update_or_create(
                site=site, product=product, factor=factor, month=pd.month,
                defaults={"quantity": (pd.quantity * BILLET_PER_T).quantize(Decimal("0.0001")),
                          "role": MaterialPurchase.Role.PRECURSOR, "cn_code": cn, "country_of_origin": "CN",
                          "note": "demo: output × 1.045 (rolling yield 95.7 %)"})
    CbamInstallation.objects.update_or_create(site=site, defaults={
        "name": "Jidong Precision Rolling Steel - Tangshan rolling mill",
        "operator_name": "冀东精轧钢铁有限公司 Jidong Precision Rolling Steel Co.",
        "street": "路北区 Lubei District", "city": "Tangshan",
        "postcode": "063000", "country": "CN", "unlocode": "CNTGS", "latitude": Decimal("39.630000"),
        "longitude": Decimal("118.180000"), "contact_email": "cbam@example.com",
        "production_routes": [
            {"category": "Iron or steel products", "route": "hot rolling of purchased slab (reheating furnace, "
             "hot-strip mill)", "products": ["HRC"]},
            {"category": "Iron or steel products", "route": "bar rolling of purchased billet", "products": ["REBAR"]}]})
    # No carbon price entry: none was paid for the demo's 2025 goods, which the CBAM summary states ("none").


def _latest(product: Product) -> list[ProductionData]:
    latest: dict = {}
    for pd in ProductionData.objects.filter(product=product).order_by("month", "version"):
        latest[pd.month] = pd
    return list(latest.values())
