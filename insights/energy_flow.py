"""Energy-flow analysis (能流分析): a Sankey diagram of a site's energy in a period, from purchased and self-generated
energy through the metering tree to end uses, with the unmetered remainder at each meter shown as loss.

Nodes and links (values in tce, or in one carrier's unit):
- inputs: one node per carrier and origin ("purchased" for top-level `purchase`/`facility_total` meters,
  "self-generated" for top-level `generation` meters), linked to each such meter with its quantity;
- each meter is linked to each of its child meters with the child's quantity;
- remainder = meter − Σ children: when positive, a link to that meter's "unmetered / loss" node; when negative
  (children read more than their parent: metering error), a "metering surplus" input feeds the meter so that every
  meter node still balances;
- a meter without children is an end use: it is linked to its production unit's node when it has one (so a unit's
  carriers meet in tce), otherwise it is itself the end use.

So inputs (+ surplus) = end uses + losses, exactly (Decimal arithmetic). Not drawn, but listed: meters supplying
energy to others (`export`), top-level meters inside the boundary with no parent (`unattached`) and purchased green
electricity (a contractual instrument, not consumption; see carbon.energy).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from carbon.energy import coefficient_for, excluded_of, meter_quantities, to_tce
from carbon.models import ConversionMethod
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from meters.models import CARRIER_UNITS, Carrier, Meter
from meters.units import unit_scale
from plants.models import ProductionUnit, Site

INPUT_ROLES = {Meter.Role.PURCHASE: "purchased", Meter.Role.FACILITY_TOTAL: "purchased",
               Meter.Role.GENERATION: "generated"}


def _carrier_scale(meter_unit: str, carrier_unit: str) -> Decimal:
    if meter_unit == carrier_unit:
        return Decimal(1)
    scale = unit_scale(from_unit=meter_unit, to_unit=carrier_unit)
    if scale is None:
        raise ApplicationError("unit_mismatch", f"A meter in {meter_unit} cannot be shown in {carrier_unit}.")
    return scale


def energy_flow(*, site: Site, period: Period, unit: str = "tce", carrier: str | None = None,
                method: str = ConversionMethod.EQUIVALENT) -> dict:
    if unit not in ("tce", "carrier"):
        raise ApplicationError("invalid_unit", "unit must be tce or carrier.")
    if unit == "carrier":
        if not carrier:
            raise ApplicationError("carrier_required", "Give carrier=<carrier> to show flows in a carrier's unit.")
        if carrier not in Carrier.values:
            raise ApplicationError("invalid_carrier", f"Unknown carrier {carrier!r}.")
    elif carrier:
        raise ApplicationError("invalid_carrier", "carrier is only used with unit=carrier.")

    everything = meter_quantities(site=site, period=period)
    quantities = [m for m in everything if m.carrier != Carrier.GREEN_ELECTRICITY]
    green = [m for m in everything if m.carrier == Carrier.GREEN_ELECTRICITY]
    if unit == "carrier":
        quantities = [m for m in quantities if m.carrier == carrier]
    flow_unit = "tce" if unit == "tce" else CARRIER_UNITS[Carrier(carrier)]

    coefficients: dict[str, object] = {}

    def value_of(m) -> Decimal:
        q = Decimal(repr(m.quantity))
        if unit == "carrier":
            return q * _carrier_scale(m.unit, flow_unit)
        coef = coefficients.get(m.carrier)
        if coef is None:
            coef = coefficients[m.carrier] = coefficient_for(carrier=m.carrier, on=period.first,
                                                             enterprise=site.enterprise, method=method)
        return to_tce(quantity=q, meter_unit=m.unit, coefficient=coef)

    by_id = {m.meter_id: m for m in quantities}
    values = {m.meter_id: value_of(m) for m in quantities}
    children: dict[int, list] = defaultdict(list)
    for m in quantities:
        if m.parent_id is not None and m.parent_id in by_id:
            children[m.parent_id].append(m)
    names = dict(Meter.objects.filter(pk__in=by_id).values_list("pk", "name"))
    unit_ids = {m.production_unit_id for m in quantities if m.production_unit_id}
    units = {u.pk: u for u in ProductionUnit.objects.filter(pk__in=unit_ids)}
    carrier_label = dict(Carrier.choices)

    nodes: dict[str, dict] = {}
    links: list[dict] = []

    def node(node_id: str, label: str, kind: str, short: str | None = None) -> str:
        nodes.setdefault(node_id, {"id": node_id, "label": label, "short": short or label, "kind": kind})
        return node_id

    def link(source: str, target: str, value: Decimal) -> None:
        if value != 0:
            links.append({"source": source, "target": target, "value": value})

    exports, unattached, losses = [], [], []
    inputs_total = surplus_total = Decimal(0)

    def meter_node(m) -> str:
        label = m.code + (f" {names.get(m.meter_id)}" if names.get(m.meter_id) else "")
        return node(f"meter:{m.meter_id}", label, "meter", short=m.code)

    def walk(m) -> None:
        nonlocal surplus_total
        me = meter_node(m)
        kids = children.get(m.meter_id, [])
        if not kids:
            if m.production_unit_id:
                u = units[m.production_unit_id]
                link(me, node(f"unit:{u.pk}", f"{u.code} {u.name}", "end_use"), values[m.meter_id])
            else:
                nodes[me].update(kind="end_use", short=nodes[me]["label"])
            return
        for k in kids:
            link(me, meter_node(k), values[k.meter_id])
            walk(k)
        remainder = values[m.meter_id] - sum((values[k.meter_id] for k in kids), Decimal(0))
        losses.append({"meter": m.code, "value": remainder, "share": (remainder / values[m.meter_id]).quantize(
            Decimal("0.0001")) if values[m.meter_id] else None})
        if remainder > 0:
            link(me, node(f"loss:{m.meter_id}", _("Unmetered / loss (%(meter)s)") % {"meter": m.code}, "loss"),
                 remainder)
        elif remainder < 0:
            surplus_total += -remainder
            link(node(f"surplus:{m.meter_id}", _("Metering surplus (%(meter)s)") % {"meter": m.code}, "surplus"),
                 me, -remainder)

    roots = [m for m in quantities if m.parent_id is None or m.parent_id not in by_id]
    for m in sorted(roots, key=lambda m: (m.carrier, m.code)):
        origin = INPUT_ROLES.get(m.role)
        if m.parent_id is None and m.role == Meter.Role.EXPORT:
            exports.append({"meter": m.code, "carrier": m.carrier, "value": values[m.meter_id]})
            continue
        if origin is None or m.parent_id is not None:
            unattached.append({"meter": m.code, "carrier": m.carrier, "value": values[m.meter_id]})
            continue
        name = carrier_label.get(m.carrier, m.carrier)
        # Carrier names that already say where the energy comes from (purchased electricity, on-site PV) stay as
        # they are; others get "Purchased" / "Self-generated".
        if (origin, m.carrier) in (("purchased", Carrier.ELECTRICITY), ("generated", Carrier.PV_GENERATION)):
            label = name
        else:
            label = (_("Purchased %(carrier)s") if origin == "purchased" else _("Self-generated %(carrier)s")) % {
                "carrier": name}
        source = node(f"input:{origin}:{m.carrier}", label, "input")
        link(source, meter_node(m), values[m.meter_id])
        inputs_total += values[m.meter_id]
        walk(m)

    # Keep only nodes that carry a flow; sinks are nodes with no outgoing link.
    used = {lk["source"] for lk in links} | {lk["target"] for lk in links}
    outgoing = {lk["source"] for lk in links}
    incoming: dict[str, Decimal] = defaultdict(Decimal)
    for lk in links:
        incoming[lk["target"]] += lk["value"]
    end_use_total = sum((v for n, v in incoming.items() if n not in outgoing and nodes[n]["kind"] != "loss"),
                        Decimal(0))
    loss_total = sum((v for n, v in incoming.items() if nodes[n]["kind"] == "loss"), Decimal(0))
    return {
        "site": site.code, "period": str(period), "unit": flow_unit, "carrier": carrier,
        "electricity_method": method if unit == "tce" else None,
        "nodes": [n for n in nodes.values() if n["id"] in used],
        "links": links,
        "inputs_total": inputs_total, "surplus_total": surplus_total,
        "end_use_total": end_use_total, "loss_total": loss_total,
        "balance": inputs_total + surplus_total - end_use_total - loss_total,
        "losses": losses, "exports": exports, "unattached": unattached,
        "green_electricity_kwh": [{"meter": m.code, "value": Decimal(repr(m.quantity))} for m in green],
        "excluded_meters": excluded_of(everything), "complete": not excluded_of(everything),
    }
