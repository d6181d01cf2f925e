"""Real browser (Debian chromium): an energy manager onboards a gateway to its first reading on the gateways page —
create it with a meter, copy the token shown once, post one reading with the page's curl request, see last seen and
readings change — in Chinese and English, and at 390 px."""

from __future__ import annotations

import json
import re
import shlex
import urllib.request

import pytest
from django.conf import settings

from demo.loader import demo_load
from meters.models import Gateway, Reading
from tests.browser import SHOTS, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _curl(line: str) -> dict:
    """The request a curl line makes: headers, body and URL (the page's line has exactly these parts)."""
    words = shlex.split(line)
    headers = dict(w.split(": ", 1) for i, w in enumerate(words) if i and words[i - 1] == "-H")
    body = words[words.index("-d") + 1]
    return {"headers": headers, "body": body, "url": words[-1]}


def _sign_in(page, url: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.locator("form button[type=submit], form button").last.click()
    page.wait_for_selector("[data-kpi=energy_tce]")


def test_manager_onboards_a_gateway_to_its_first_reading_in_both_languages_and_at_390px(live_server):
    demo_load(small=True, log=lambda m: None)
    url = live_server.url
    with open_page() as (page, hosts):
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        _sign_in(page, url)
        page.get_by_role("link", name="网关").click()
        page.wait_for_selector("h1:has-text('网关')")

        page.select_option("#gw-site", label=page.locator("#gw-site option", has_text="RM1").inner_text())
        page.fill("#gateway-create input[name=name]", "gw-onboard")
        page.locator("#gw-meters label", has_text="RM-E-W1").locator("input").check()
        page.get_by_role("button", name="创建网关并签发令牌").click()
        page.wait_for_selector("#token-value")
        token = page.locator("#token-value").inner_text().strip()
        assert token.startswith("ntg_")
        page.get_by_role("button", name="复制令牌").click()
        page.wait_for_selector("button[data-copied]")
        assert page.evaluate("navigator.clipboard.readText()") == token
        line = page.locator("#curl-line").inner_text()
        _shot(page, "gateways-token-zh.png")

        # The curl-equivalent request: the line's own headers, body and URL (this server's).
        request = _curl(line)
        assert request["url"] == f"{url}/api/v1/readings/"
        assert request["headers"]["Authorization"] == f"Bearer {token}"
        body = json.loads(request["body"])
        assert [r["meter"] for r in body["readings"]] == ["RM-E-W1"]
        sent = urllib.request.Request(  # noqa: S310 (the live server's http URL)
            request["url"], data=request["body"].encode(), headers=request["headers"], method="POST")
        with urllib.request.urlopen(sent) as answer:  # noqa: S310 (the live server's http URL)
            result = json.loads(answer.read())
        assert result["rejected"] == [] and result["accepted"] + result["conflicts"] == 1

        gateway = Gateway.objects.get(name="gw-onboard")
        page.goto(f"{url}/gateways/")
        card = page.locator(f"#gateway-{gateway.pk}")
        assert card.locator("[data-field=last-seen]").inner_text() != "从未"
        assert card.locator("[data-field=batches]").inner_text() == "1"
        assert card.locator("[data-field=readings]").inner_text() == "1"
        assert "#token-value" not in page.content() and token not in page.content()  # shown once
        if result["accepted"]:
            assert Reading.objects.filter(meter__code="RM-E-W1", batch_id__isnull=False).exists()
        _shot(page, "gateways-health-zh.png")

        page.select_option("select[name=language]", "en")
        page.wait_for_selector("h1:has-text('Gateways')")
        card = page.locator(f"#gateway-{gateway.pk}")
        assert card.get_by_text("Last seen").is_visible()
        assert card.get_by_text("Readings (24 h)").is_visible()
        _shot(page, "gateways-health-en.png")
        assert {h for h in hosts if h} <= {"localhost", "127.0.0.1"}

    with open_page(viewport={"width": 390, "height": 844}, is_mobile=True) as (page, hosts):
        _sign_in(page, url)
        page.goto(f"{url}/gateways/")
        page.wait_for_selector(f"#gateway-{gateway.pk}")
        # The page's own content fits the phone's width (no horizontal scrolling inside it).
        assert page.evaluate("document.querySelector('.gw').scrollWidth <= document.querySelector('.gw').clientWidth")
        page.locator(f"#gateway-{gateway.pk} button", has_text="签发令牌").click()
        page.wait_for_selector("#curl-line")
        assert page.evaluate("document.querySelector('.gw').scrollWidth <= document.querySelector('.gw').clientWidth")
        assert re.fullmatch(r"ntg_\S+", page.locator("#token-value").inner_text().strip())
        _shot(page, "gateways-390-zh.png")
