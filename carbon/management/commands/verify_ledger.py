"""Verify the SHA-256 hash chain of the carbon ledger; exit 1 and name the first broken entry if it fails."""

import sys

from django.core.management.base import BaseCommand, CommandError

from carbon.ledger import ledger_verify
from plants.models import Enterprise


class Command(BaseCommand):
    help = "Check the carbon ledger's hash chain of one or every enterprise."

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", help="enterprise id or unified social credit code (default: all)")

    def handle(self, *args, enterprise=None, **options):
        qs = Enterprise.objects.all()
        if enterprise:
            qs = qs.filter(pk=int(enterprise)) if enterprise.isdigit() else qs.filter(credit_code=enterprise)
            if not qs.exists():
                raise CommandError(f"No enterprise {enterprise!r}.")
        broken = False
        for ent in qs.order_by("pk"):
            result = ledger_verify(enterprise=ent)
            if result["ok"]:
                self.stdout.write(
                    f"{ent.credit_code} {ent.name}: OK, {result['entries']} entries, head {result['head']}")
            else:
                fb = result["first_broken"]
                broken = True
                self.stdout.write(f"{ent.credit_code} {ent.name}: BROKEN at entry #{fb['seq']} (id {fb['id']}): "
                                  f"{fb['problem']}")
        if broken:
            sys.exit(1)
