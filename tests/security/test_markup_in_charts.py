"""Markup in data never becomes markup in a page: every chart page, drawn in headless chromium with every name of the
enterprise (enterprise, sites, units, meters, products, baseline, project) starting with an <img onerror> tag, has no
injected element after its charts are drawn and their tooltips shown, sets no window.__xss, and never requests the
injected image."""

from __future__ import annotations

import pytest

from insights.models import EnergyBaseline, SavingsProject
from meters.models import Meter
from plants.models import Enterprise, Product, ProductionUnit, Site
from tests.browser import SHOTS, open_page
from tests.insights.test_browser import centre  # noqa: F401  (the fixture: 18 months of a rolling mill)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKUP = "<img src=x onerror=window.__xss=1>"
#: Elements that only an injected name could have put into a page.
INJECTED = "img[src='x'], img[onerror], [onerror]"


@pytest.fixture
def marked(centre):  # noqa: F811
    """The centre's data with MARKUP in front of every name a chart, a tooltip or a table shows."""
    ent = centre["enterprise"]
    for model, lookup in ((Enterprise, {"pk": ent.pk}), (Site, {"enterprise": ent}),
                          (ProductionUnit, {"site__enterprise": ent}), (Meter, {"site__enterprise": ent}),
                          (Product, {"site__enterprise": ent}), (EnergyBaseline, {"site__enterprise": ent}),
                          (SavingsProject, {"site__enterprise": ent})):
        for obj in model.objects.filter(**lookup):
            model.objects.filter(pk=obj.pk).update(name=f"{MARKUP}{obj.name}")
    return centre


def _charts_drawn(page) -> None:
    """Wait until every chart of the page reports that it is drawn (or has said it is empty)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("""() => [...document.querySelectorAll(
        '.chart[data-url]:not(#meter-chart), #flow-chart, #baseline-chart, [data-trend]')].every(
        el => el.dataset.points !== undefined || el.dataset.links !== undefined)""")


def _hover_every_chart(page) -> int:
    """Move the mouse over several points of every drawn chart, so that ECharts builds its tooltips."""
    boxes = [el.bounding_box() for el in page.query_selector_all(".chart canvas")]
    for box in boxes:
        if not box:
            continue
        for fx in (0.2, 0.4, 0.6, 0.8):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * 0.5)
            page.wait_for_timeout(50)
    return len(boxes)


def _clean(page, requested: list[str], where: str) -> None:
    assert page.query_selector_all(INJECTED) == [], where
    assert page.evaluate("() => window.__xss") is None, where
    assert not [u for u in requested if u.rstrip("/").endswith("/x")], (where, requested)


def test_chart_pages_show_markup_in_names_as_text(live_server, marked):
    site = marked["site"]
    pages = ["/", f"/sites/{site.pk}/", f"/sites/{site.pk}/meters/",
             f"/insights/benchmark/?site={site.pk}&period=2025-03",
             f"/insights/energy-flow/?site={site.pk}&period=2025-03",
             f"/insights/energy-flow/?site={site.pk}&period=2025-03&unit=carrier&carrier=electricity",
             f"/insights/baselines/?site={site.pk}&period=2025", "/quality/", "/reports/", "/alerts/", "/insights/"]
    with open_page() as (page, _hosts):
        requested: list[str] = []
        page.on("request", lambda req: requested.append(req.url))
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "mgr")
        page.fill("input[name=password]", "pw-123456")
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("[data-kpi=energy_tce]")
        hovered = 0
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            _charts_drawn(page)
            if path.endswith("/meters/"):
                page.locator("[data-meter-chart]").first.click()
                page.wait_for_selector("#meter-chart[data-points] canvas")
            hovered += _hover_every_chart(page)
            _clean(page, requested, path)
        assert hovered >= 8

        # The energy-flow tooltip, which inserted a meter name as HTML: hover the largest node with the real mouse,
        # then show the tooltip of every node and every link.
        page.goto(f"{live_server.url}/insights/energy-flow/?site={site.pk}&period=2025-03")
        page.wait_for_selector("#flow-chart[data-links] canvas")
        nodes, links = page.evaluate("""() => {
            const chart = echarts.getInstanceByDom(document.getElementById('flow-chart'));
            const series = chart.getModel().getSeriesByIndex(0);
            return [series.getData().count(), series.getGraph().edgeData.count()]; }""")
        assert nodes >= 8 and links >= 7
        box = page.locator("#flow-chart").bounding_box()
        layout = page.evaluate("""() => {
            const chart = echarts.getInstanceByDom(document.getElementById('flow-chart'));
            const data = chart.getModel().getSeriesByIndex(0).getData();
            let best = null;
            for (let i = 0; i < data.count(); i++) {
                const l = data.getItemLayout(i);
                if (!best || l.dy > best.dy) { best = l; } }
            return best; }""")
        page.mouse.move(box["x"] + layout["x"] + layout["dx"] / 2, box["y"] + layout["y"] + layout["dy"] / 2)
        tooltip = page.locator("#flow-chart > div").last
        tooltip.wait_for(state="visible")
        assert MARKUP in tooltip.inner_text()  # the name shown as text
        _clean(page, requested, "energy-flow tooltip (mouse)")
        shown = []
        for data_type, count in (("node", nodes), ("edge", links)):
            for i in range(count):
                page.evaluate("""([i, t]) => echarts.getInstanceByDom(document.getElementById('flow-chart'))
                    .dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i, dataType: t})""", [i, data_type])
                page.wait_for_timeout(30)
                shown.append(tooltip.inner_text())
                _clean(page, requested, f"energy-flow tooltip ({data_type} {i})")
        assert sum(MARKUP in text for text in shown) >= nodes  # every node's name, and links between named nodes
        page.screenshot(path=str(SHOTS / "security-markup-in-energy-flow.png"), full_page=True)
