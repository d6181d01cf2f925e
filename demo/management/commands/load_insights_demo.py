"""Add the energy-carbon centre's demo data (weather, baselines, a project) to the loaded demo (idempotent)."""

from django.core.management.base import BaseCommand

from demo.insights import insights_demo_load


class Command(BaseCommand):
    help = "Add synthetic degree days, product categories, two baselines and a project to the demo enterprise."

    def handle(self, *args, **options):
        insights_demo_load(log=lambda m: self.stdout.write(m))
