"""Run the MQTT ingestion process (meters/mqtt_ingest.py); with --sync-credentials, only write the broker's files."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meters.mqtt_ingest import MqttIngest
from meters.services.mqtt_auth import broker_credentials_sync


class Command(BaseCommand):
    help = "Subscribe to the gateways' MQTT topics and ingest their readings (QoS 1, persistent session)."

    def add_arguments(self, parser):
        parser.add_argument("--sync-credentials", action="store_true",
                            help="Write the mosquitto password and ACL files from the database, then exit.")

    def handle(self, *args, **options):
        written = broker_credentials_sync()
        if options["sync_credentials"]:
            self.stdout.write("broker credentials written" if written else
                              "MQTT_PASSWORD_FILE / MQTT_ACL_FILE not set: nothing written")
            return
        if not settings.MQTT_HOST:
            raise CommandError("MQTT_HOST is not set: there is no broker to subscribe to.")
        self.stdout.write(f"mqtt_ingest: {settings.MQTT_HOST}:{settings.MQTT_PORT} as {settings.MQTT_CLIENT_ID}")
        MqttIngest().run_forever()
