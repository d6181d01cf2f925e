"""Complete Chinese: every UI page (walked from the URL resolver, so pages added later are covered) and every admin
page, rendered in Chinese on the demo data, holds no English leftover and no internal file name.

Leftovers are found two ways: known ones (unit keys such as "10^4 CNY", "kWh/site", "ratio"; "DOMAIN.md"), and any
English text of the catalogs (a msgid with a Chinese translation) standing as a whole heading, column header, label
or button: that is a string someone forgot to mark for translation or to translate."""

from __future__ import annotations

import gettext
import html as htmllib
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client

from demo.loader import DEMO_CODE, demo_load
from plants.models import Enterprise
from tests.ui.pages import page_urls

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
#: Text that must never reach a Chinese page: internal file names and unit keys.
KNOWN = [re.compile(p) for p in (r"DOMAIN\.md", r"CONVENTIONS\.md", r"10\^4", r"10⁴ CNY", r"kWh/site", r"\bratio\b",
                                   r"grade \d", r"\bm3\b", r"\bPrevious\b", r"\bCNY\b")]
#: Where a whole text is UI wording (never data such as a meter's name).
WORDING = re.compile(r"<(th|h1|h2|h3|button|caption|legend|label|summary|dt)\b[^>]*>(.*?)</\1>", re.S)


def _catalog_english() -> set[str]:
    """Every English msgid of the project's catalogs whose Chinese differs, of two words or more."""
    out = set()
    for mo in [ROOT / "locale/zh_Hans/LC_MESSAGES/django.mo", *ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.mo")]:
        with mo.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        for msgid, msgstr in catalog.items():
            if isinstance(msgid, str) and msgstr and msgstr != msgid and " " in msgid and "%" not in msgid \
                    and "{" not in msgid:
                out.add(msgid)
    return out


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    attrs = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt|data-title|data-l-[a-z-]+)="([^"]*)"', html))
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html) + " " + attrs)


def leftovers(html: str, english: set[str]) -> list[str]:
    text = _visible(html)
    found = [m.group(0) for pattern in KNOWN for m in pattern.finditer(text)]
    for _tag, inner in WORDING.findall(html):
        words = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", inner)).split())
        if words in english:
            found.append(words)
    return found


@pytest.fixture
def demo(transactional_db):
    demo_load(small=True, log=lambda m: None)
    return Enterprise.objects.get(credit_code=DEMO_CODE)


def _client(username: str, lang: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = lang
    return client


def test_every_ui_page_in_chinese_has_no_english_leftover_or_internal_file_name(demo):
    english = _catalog_english()
    urls, unfilled = page_urls(demo, per_route=2)
    assert unfilled == [], f"routes whose ids tests/ui/pages.py cannot fill: {unfilled}"
    assert len(urls) >= 15
    seen, problems = 0, {}
    for username in ("admin", "manager", "regulator"):
        client = _client(username)
        for url in [*urls, "/regulator/", f"/regulator/enterprises/{demo.pk}/", "/no-such-page/"]:
            response = client.get(url)
            if response.status_code in (302, 403, 404, 405) and url != "/no-such-page/":
                continue
            seen += 1
            found = leftovers(response.content.decode(), english)
            if found:
                problems[f"{username} {url}"] = sorted(set(found))
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
    assert seen >= 30


def test_the_detector_finds_the_leftovers_of_the_issue():
    english = {"Energy consumption"}
    page = ('<th>Energy consumption</th><td>1 <small>(tce/10^4 CNY)</small></td><p>kWh/site ratio</p>'
            '<p title="e.g. 13.5 (DOMAIN.md §5)">x</p><td>5 m3</td><th>Previous</th>')
    assert set(leftovers(page, english)) == {"DOMAIN.md", "10^4", "CNY", "kWh/site", "ratio", "m3", "Previous",
                                             "Energy consumption"}


def test_admin_pages_in_chinese_have_no_generated_english_labels(tenants):
    english = _catalog_english() | {"Created at", "Created by", "Access attempts", "Access logs", "Production unit",
                                    "Allowed meters", "Last used at", "Closed by", "Entered by", "Factor set"}
    client = _client("staff")
    problems = {}
    pages = ["/admin/"]
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages += [base, base + "add/"]
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue
        body = response.content.decode()
        # Options and the rows of a change list are data (a unit "m3" or a label "grade 1" as stored), not wording.
        body = re.sub(r"<select\b.*?</select>|<tbody>.*?</tbody>", " ", body, flags=re.S)
        found = leftovers(body, english)
        # Column headers of change lists are links inside <th>; field labels are <label>s.
        found += [t for t in re.findall(r'<th[^>]*class="column-[^"]*"[^>]*>.*?<a [^>]*>([^<]+)</a>', body, re.S)
                  if t.strip() in english]
        if found:
            problems[url] = sorted(set(found))
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
