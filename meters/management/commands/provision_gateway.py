"""Create a meter gateway for a site and print its token as the last line (shown once, stored hashed)."""

from django.core.management.base import BaseCommand, CommandError

from energy_platform.errors import ApplicationError
from meters.services.gateways import gateway_provision
from meters.services.mqtt_auth import gateway_code
from plants.models import Site


class Command(BaseCommand):
    help = "Create a gateway for a site; the token is printed as the last line and never shown again."

    def add_arguments(self, parser):
        parser.add_argument("--site", required=True, help="site code")
        parser.add_argument("--name", required=True)
        parser.add_argument("--meters", default="", help="comma-separated meter codes the gateway may report")
        parser.add_argument("--enterprise", default=None, help="enterprise id or credit code, when site codes repeat")

    def handle(self, *args, site, name, meters, enterprise, **options):
        sites = Site.objects.filter(code=site)
        if enterprise:
            sites = sites.filter(enterprise__credit_code=enterprise) if not enterprise.isdigit() else sites.filter(
                enterprise_id=int(enterprise))
        found = list(sites[:2])
        if not found:
            raise CommandError(f"No site with code {site!r}.")
        if len(found) > 1:
            raise CommandError(f"Several enterprises have a site {site!r}; give --enterprise.")
        codes = [c.strip() for c in meters.split(",") if c.strip()]
        try:
            gateway, token = gateway_provision(site=found[0], name=name, meter_codes=codes or None)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        scope = f"{len(codes)} meters" if codes else "all meters of the site"
        self.stdout.write(f"Gateway {gateway.pk} '{name}' at site {site} ({scope}); MQTT user name "
                          f"{gateway_code(gateway)}. Token (shown once):")
        self.stdout.write(token)
