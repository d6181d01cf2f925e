"""`manage.py generate_report --kind energy --enterprise <id|code> --year 2025 --format pdf --output dir`."""

from __future__ import annotations

import pathlib

from django.core.management.base import BaseCommand, CommandError

from energy_platform.errors import ApplicationError
from plants.models import Enterprise
from reports.services import report_generate


class Command(BaseCommand):
    help = "Generate a report snapshot and write its file(s) to --output; prints the written paths."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=["green_factory", "energy", "ghg", "footprint"])
        parser.add_argument("--enterprise", required=True)
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--format", required=True, choices=["pdf", "xlsx", "csv", "json"])
        parser.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"])
        parser.add_argument("--output", required=True)

    def handle(self, *args, **opts):
        ref = opts["enterprise"]
        ent = Enterprise.objects.filter(credit_code=ref).first()
        if ent is None and ref.isdigit():
            ent = Enterprise.objects.filter(pk=int(ref)).first()
        if ent is None:
            raise CommandError(f"No enterprise with id or credit code {ref!r}.")
        try:
            snap = report_generate(kind=opts["kind"], enterprise=ent, year=opts["year"], fmt=opts["format"],
                                   lang=opts["lang"])
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        out = pathlib.Path(opts["output"])
        out.mkdir(parents=True, exist_ok=True)
        for rf in snap.files.all():
            path = out / rf.name
            with rf.file.open("rb") as fh:
                path.write_bytes(fh.read())
            self.stdout.write(str(path))
