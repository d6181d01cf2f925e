"""Run by test_embedded_sqlite.py in a subprocess on the embedded default (SQLite, in-process Celery): migrate, load a
short demo, fetch every UI page and chart API as the demo manager, save an upload; print the results as JSON."""

from __future__ import annotations

import datetime as dt
import json

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()
call_command("migrate", verbosity=0)

from django.contrib.auth import get_user_model  # noqa: E402

from demo.loader import SH, demo_load  # noqa: E402
from meters.models import Meter  # noqa: E402
from plants.models import Site  # noqa: E402
from ui.models import MonthlyUpload  # noqa: E402

demo_load(small=True, until=dt.datetime(2025, 1, 10, tzinfo=SH), log=lambda m: None)
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username="manager"))
sites = {s.code: s.pk for s in Site.objects.exclude(code="SZ1")}
foreign = Site.objects.get(code="SZ1").pk  # the second enterprise's site
meter = Meter.objects.get(code="RM-E-W1").pk
urls = ["/", "/quality/", "/entry/", "/targets/", "/reports/"]
for pk in sites.values():
    urls += [f"/sites/{pk}/", f"/sites/{pk}/meters/", f"/api/v1/ui/sites/{pk}/monthly/",
             f"/api/v1/ui/sites/{pk}/load/?day=2025-01-05&days=7", f"/api/v1/ui/sites/{pk}/kpi-trend/?metric=emissions"]
urls += [f"/api/v1/ui/sites/{sites['DC1']}/kpi-trend/?metric=pue", f"/api/v1/ui/meters/{meter}/series/"]
out = {"status": {url: client.get(url).status_code for url in urls},
       "foreign": [client.get(url).status_code
                   for url in (f"/sites/{foreign}/", f"/api/v1/ui/sites/{foreign}/monthly/")]}
load = client.get(f"/api/v1/ui/sites/{sites['RM1']}/load/?day=2025-01-05&days=1").json()
out["load_points"] = sum(v is not None for v in load["series"][0]["data"])
client.post("/entry/", {"form": "upload", "kind": "economic", "site": "",
                        "file": SimpleUploadedFile("va.csv", b"site,month,value_added_10k_cny\nRM1,2024-05,10\n")})
upload = MonthlyUpload.objects.get()
client.post(f"/entry/uploads/monthly/{upload.pk}/commit/")
upload.refresh_from_db()
out["upload"] = [upload.status, upload.saved]
print(json.dumps(out))
