"""`manage.py generate_report --kind energy --enterprise <id|code> [--site <code>] --year 2025 --format pdf
--output dir [--allocation mass|economic|energy]`; `--site <code>` alone names the site when its code is unique.
Format defaults to pdf, output to the current directory."""

from __future__ import annotations

import pathlib

from django.core.management.base import BaseCommand, CommandError

from energy_platform.errors import ApplicationError
from plants.models import Enterprise, Site
from reports.services import report_generate


class Command(BaseCommand):
    help = "Generate a report snapshot and write its file(s) to --output; prints the written paths."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=["green_factory", "energy", "ghg", "footprint", "cbam"])
        parser.add_argument("--enterprise", help="enterprise id or credit code (optional with a unique --site)")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--format", default="pdf", choices=["pdf", "xlsx", "csv", "json"])
        parser.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"])
        parser.add_argument("--output", default=".")
        parser.add_argument("--site", help="site code: a report of that site only")
        parser.add_argument("--allocation", choices=["mass", "economic", "energy"],
                            help="footprint allocation rule (default mass)")

    def handle(self, *args, **opts):
        ref = opts.get("enterprise")
        if not ref:
            if not opts.get("site"):
                raise CommandError("Give --enterprise or --site.")
            found = list(Site.objects.filter(code=opts["site"]).select_related("enterprise")[:2])
            if len(found) != 1:
                raise CommandError(f"{len(found) and 'More than one' or 'No'} site with code {opts['site']!r}; "
                                   "give --enterprise too.")
            ref = found[0].enterprise.credit_code
        ent = Enterprise.objects.filter(credit_code=ref).first()
        if ent is None and ref.isdigit():
            ent = Enterprise.objects.filter(pk=int(ref)).first()
        if ent is None:
            raise CommandError(f"No enterprise with id or credit code {ref!r}.")
        site = None
        if opts.get("site"):
            site = ent.sites.filter(code=opts["site"]).first()
            if site is None:
                raise CommandError(f"Enterprise {ent.credit_code} has no site {opts['site']!r}.")
        options = {"allocation": opts["allocation"]} if opts.get("allocation") else None
        try:
            snap = report_generate(kind=opts["kind"], enterprise=ent, site=site, year=opts["year"],
                                   fmt=opts["format"], lang=opts["lang"], options=options)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        out = pathlib.Path(opts["output"])
        out.mkdir(parents=True, exist_ok=True)
        for rf in snap.files.all():
            path = out / rf.name
            with rf.file.open("rb") as fh:
                path.write_bytes(fh.read())
            self.stdout.write(str(path))
