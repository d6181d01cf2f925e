"""Every UI page (walked from the URL resolver, tests/ui/pages.py) in both languages at 390 px (a phone) and at
1366 px: the page never scrolls sideways (document.scrollingElement.scrollWidth ≤ the viewport; wide tables scroll
inside their own box) and the navigation never breaks a word (each link is one line). Error pages too."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from demo.loader import DEMO_CODE, demo_load
from plants.models import Enterprise
from tests.browser import open_page
from tests.ui.pages import page_urls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Pages whose 390 px screenshots are kept in docs/screenshots/ (looked at by hand).
KEPT = {"/", "/quality/", "/entry/", "/regulator/", "/no-such-page/"}

#: Width of the page's content and of each navigation link's lines (a link on two lines broke a word).
MEASURE = """() => ({
  width: document.scrollingElement.scrollWidth,
  broken: Array.from(document.querySelectorAll('header nav a')).filter(a => a.getClientRects().length > 1
          || a.getBoundingClientRect().height > 1.9 * parseFloat(getComputedStyle(a).fontSize))
        .map(a => a.textContent),
})"""


@pytest.fixture
def demo(transactional_db):
    demo_load(small=True, log=lambda m: None)
    return Enterprise.objects.get(credit_code=DEMO_CODE)


def _sign_in(page, url: str, username: str, lang: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": url}])
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def _walk(page, url: str, paths: list[str], width: int, lang: str, username: str) -> dict:
    page.set_viewport_size({"width": width, "height": 860})
    problems = {}
    for path in paths:
        response = page.goto(url + path)
        if response is None or (response.status in (403, 405) and path != "/no-such-page/"):
            continue
        page.wait_for_load_state("networkidle")
        measured = page.evaluate(MEASURE)
        if measured["width"] > width or measured["broken"]:
            problems[f"{username} {lang} {width} {path}"] = measured
        if width == 390 and path in KEPT:
            name = path.strip("/").replace("/", "-") or "overview"
            page.screenshot(path=str(DOCS_SHOTS / f"390-{name}-{lang}.png"), full_page=True)
    return problems


def test_every_page_fits_390_px_and_1366_px_in_both_languages(live_server, demo):
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    urls, unfilled = page_urls(demo)
    assert unfilled == []
    paths = [u for u in urls if u not in ("/login/",)] + ["/no-such-page/"]
    regulator_paths = ["/regulator/", f"/regulator/enterprises/{demo.pk}/", "/insights/"]
    problems = {}
    with open_page() as (page, _hosts):
        for lang in ("zh-hans", "en"):
            page.context.clear_cookies()
            page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
            for width in (390, 1366):
                page.set_viewport_size({"width": width, "height": 860})
                page.goto(live_server.url + "/login/")
                if page.evaluate(MEASURE)["width"] > width:
                    problems[f"anonymous {lang} {width} /login/"] = page.evaluate(MEASURE)
            for username, walked in (("admin", paths), ("regulator", regulator_paths)):
                _sign_in(page, live_server.url, username, lang)
                for width in (390, 1366):
                    problems.update(_walk(page, live_server.url, walked, width, lang, username))
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
