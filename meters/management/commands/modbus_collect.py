"""Poll the Modbus TCP point tables (meters.ModbusDevice / ModbusPoint) and ingest the readings."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone

from meters.services.modbus import modbus_device_poll, modbus_devices_due
from meters.tasks import rollups_after_write


class Command(BaseCommand):
    help = "Poll Modbus TCP devices, each at its own interval, and write their readings through the ingestion path."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Poll the devices that are due once, then exit.")

    def handle(self, *args, **options):
        while True:
            if not connection.in_atomic_block:  # (a test calls the command inside its transaction)
                close_old_connections()
            now = timezone.now()
            for device in modbus_devices_due(now=now):
                result = modbus_device_poll(device=device, now=now)
                if result is None:
                    self.stderr.write(f"{device}: unreachable")
                    continue
                self.stdout.write(f"{device}: accepted {result.accepted}, duplicates {result.duplicates}, "
                                  f"rejected {len(result.rejected)}")
                if result.accepted:
                    rollups_after_write()
            if options["once"]:
                return
            time.sleep(1)
