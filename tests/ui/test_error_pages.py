"""Error pages: 400, 403, 404 and 500 are the platform's styled page in the user's language (the layout with its
stylesheet), never Django's bare or debug page; under /api/ they stay {"code", "detail"} JSON. Sign-in sends a
regulator to the regulator portal; a period the portal cannot read is a styled, localized 400."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import path

from energy_platform.urls import urlpatterns as platform_urlpatterns

STYLESHEET = '<link rel="stylesheet" href="/static/ui/ui.css">'


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), path("api/v1/boom/", _boom), *platform_urlpatterns]
handler400 = "energy_platform.errorpages.bad_request"
handler403 = "energy_platform.errorpages.permission_denied"
handler404 = "energy_platform.errorpages.page_not_found"
handler500 = "energy_platform.errorpages.server_error"


def _zh(client: Client) -> Client:
    client.cookies["django_language"] = "zh-hans"
    return client


def _en(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def test_unknown_page_is_the_styled_404_in_chinese_and_in_english(client, db):
    zh = _zh(client).get("/no-such-page/")
    assert zh.status_code == 404
    body = zh.content.decode()
    assert STYLESHEET in body and "页面不存在" in body and "此地址没有对应的页面。" in body
    assert 'data-status="404"' in body and "Page not found" not in body
    en = _en(Client()).get("/no-such-page/").content.decode()
    assert STYLESHEET in en and "Page not found" in en and "There is no page at this address." in en


def test_the_embedded_demo_runs_without_debug_so_unknown_pages_get_the_styled_404_and_static_is_served(db):
    # With DEBUG on, Django answers an unknown page with its debug 404 (the URL list) and ignores handler404; the
    # demo (make demo: the embedded settings) therefore runs with DEBUG off, WhiteNoise serving static files from
    # the apps' folders (finders), so no collectstatic is needed.
    from energy_platform.settings import local

    assert local.DEBUG is False
    assert local.WHITENOISE_USE_FINDERS is True
    with override_settings(WHITENOISE_USE_FINDERS=True):
        css = Client().get("/static/ui/ui.css")
    assert css.status_code == 200


def test_unknown_api_path_answers_json_code_and_detail(client, db):
    response = _zh(client).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_forbidden_page_is_the_styled_403_with_its_reason(client, tenants):
    # The regulator portal is for regulators: a manager gets the 403 page saying so, in Chinese.
    client.force_login(tenants["manager_a"])
    response = _zh(client).get("/regulator/")
    assert response.status_code == 403
    body = response.content.decode()
    assert STYLESHEET in body and "无权访问" in body and 'data-status="403"' in body


@pytest.mark.urls("tests.ui.test_error_pages")
def test_a_bug_is_the_styled_500_page_and_json_under_api(db):
    client = Client(raise_request_exception=False)
    zh = _zh(client).get("/boom/")
    assert zh.status_code == 500
    body = zh.content.decode()
    assert STYLESHEET in body and "服务器错误" in body and "a bug" not in body
    api = client.get("/api/v1/boom/")
    assert api.status_code == 500
    assert api.json() == {"code": "server_error", "detail": "An unexpected error occurred; it has been logged."}


@pytest.mark.urls("tests.ui.test_error_pages")
def test_bad_request_handler_is_the_styled_400_page(db):
    from django.core.exceptions import SuspiciousOperation

    def _suspicious(request):
        raise SuspiciousOperation("x")

    urlpatterns.insert(0, path("suspicious/", _suspicious))
    try:
        response = _en(Client()).get("/suspicious/")
    finally:
        urlpatterns.pop(0)
    assert response.status_code == 400
    body = response.content.decode()
    assert STYLESHEET in body and "Bad request" in body


def test_regulator_lands_on_the_regulator_portal_after_sign_in(client, tenants):
    response = client.post("/login/", {"username": "regulator_sh", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response.url == "/regulator/"


def test_manager_still_lands_on_the_overview_and_next_is_kept(client, tenants):
    assert client.post("/login/", {"username": "manager_a", "password": "pw-for-tests-1"}).url == "/"
    other = Client()
    response = other.post("/login/?next=/quality/", {"username": "regulator_sh", "password": "pw-for-tests-1"})
    assert response.url == "/quality/"


def test_regulator_period_written_in_chinese_is_read_as_the_period(client, tenants):
    client.force_login(tenants["regulator_sh"])
    readings = (("2025年", "2025"), ("2025年3月", "2025-03"), ("2025年第一季度", "2025-Q1"), ("2025年Q2", "2025-Q2"))
    for text, shown in readings:
        response = _zh(client).get("/regulator/", {"period": text})
        assert response.status_code == 200
        assert str(response.context["period"]) == shown


def test_regulator_period_that_cannot_be_read_is_a_styled_localized_400(client, tenants):
    client.force_login(tenants["regulator_sh"])
    response = _zh(client).get("/regulator/", {"period": "2025年13月"})
    assert response.status_code == 400
    body = response.content.decode()
    assert STYLESHEET in body and "请求有误" in body
    assert "&#x27;2025年13月&#x27; 不是有效的期间：请使用 2025-03、2025-Q1 或 2025 这样的格式。" in body
    en = _en(client).get("/regulator/", {"period": "last year"}).content.decode()
    assert "&#x27;last year&#x27; is not a period: use 2025-03, 2025-Q1 or 2025." in en and "Bad request" in en


def test_a_portal_application_error_is_the_styled_page(client, tenants):
    client.force_login(tenants["regulator_sh"])
    response = _en(client).get("/regulator/export/", {"period": "2025", "format": "pdf"})
    assert response.status_code == 400
    assert STYLESHEET in response.content.decode()


def test_a_form_without_its_csrf_token_gets_the_styled_403_saying_what_to_do(tenants):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenants["manager_a"])
    response = _zh(client).post("/entry/", {"form": "value"})
    assert response.status_code == 403
    body = response.content.decode()
    assert STYLESHEET in body and "无权访问" in body
    assert "表单已过期或浏览器禁用了 Cookie：请刷新页面后重新提交。" in body
