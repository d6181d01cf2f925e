"""Modbus TCP collection: poll the point tables of ModbusDevice rows and write through the ingestion service."""

from __future__ import annotations

import datetime as dt
import logging
import math
import struct
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import timezone
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from meters.models_gateways import ModbusDevice, ModbusPoint

from .gateway_ingest import batch_errors_record
from .ingest import IngestResult, RawRow, readings_ingest

logger = logging.getLogger(__name__)

#: data type -> (registers, struct format)
DATA_TYPES = {
    "int16": (1, "h"), "uint16": (1, "H"), "int32": (2, "i"), "uint32": (2, "I"), "int64": (4, "q"),
    "uint64": (4, "Q"), "float32": (2, "f"), "float64": (4, "d"),
}


def register_decode(registers: Sequence[int], *, data_type: str, byte_order: str = "big",
                    word_order: str = "big") -> float:
    """The number held by `registers` (16-bit values as read). word_order "big": the first register holds the most
    significant word (ABCD); "little": the last (CDAB). byte_order "little" swaps the two bytes of each register
    (BADC, or DCBA with little word order)."""
    count, fmt = DATA_TYPES[data_type]
    if len(registers) != count:
        raise ValueError(f"{data_type} needs {count} registers, got {len(registers)}")
    words = list(registers) if word_order == "big" else list(registers)[::-1]
    raw = b"".join(int(w).to_bytes(2, "big" if byte_order == "big" else "little") for w in words)
    return float(struct.unpack(f">{fmt}", raw)[0])


def slot_start(when: dt.datetime, interval_seconds: int) -> dt.datetime:
    """The start of the polling interval `when` falls in (UTC epoch multiples)."""
    epoch = int(when.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % interval_seconds, tz=dt.UTC)


def modbus_device_poll(*, device: ModbusDevice, now: dt.datetime | None = None,
                       client_factory: Callable[..., ModbusTcpClient] = ModbusTcpClient) -> IngestResult | None:
    """Read every point of the device once and ingest the values, stamped at the start of the polling interval.
    A point that cannot be read is a row error (`read_failed`, `not_finite`); a device that cannot be reached
    records `last_error` and returns None."""
    now = now or timezone.now()
    stamp = slot_start(now, device.interval_seconds).isoformat()
    points = list(ModbusPoint.objects.filter(device=device).select_related("meter").order_by("register"))
    rows: list[RawRow] = []
    errors: list[dict[str, Any]] = []
    client = client_factory(device.host, port=device.port, timeout=device.timeout_seconds, retries=0)
    try:
        if not client.connect():  # type: ignore[no-untyped-call]  # pymodbus: connect() is unannotated
            ModbusDevice.objects.filter(pk=device.pk).update(
                last_polled_at=now, last_error=f"cannot connect to {device.host}:{device.port}")
            return None
        for point in points:
            index = len(rows) + len(errors)
            count = DATA_TYPES[point.data_type][0]
            read = (client.read_holding_registers if point.function == ModbusPoint.Function.HOLDING
                    else client.read_input_registers)
            try:
                response = read(point.register, count=count, device_id=device.unit_id)
                if response.isError():
                    raise ModbusException(str(response))
                value = register_decode(response.registers, data_type=point.data_type, byte_order=point.byte_order,
                                        word_order=point.word_order) * point.scale
            except (ModbusException, ValueError) as exc:
                errors.append({"index": index, "meter": point.meter.code, "code": "read_failed",
                               "detail": f"Register {point.register} (function {point.function}): {exc}"[:300]})
                continue
            rows.append(RawRow(index, point.meter.code, stamp, value if math.isfinite(value) else str(value)))
    finally:
        client.close()  # type: ignore[no-untyped-call]  # pymodbus: close() is unannotated
    result = readings_ingest(site=device.site, rows=rows, source="modbus", now=now)
    if errors:
        batch_errors_record(result=result, errors=errors)
    ModbusDevice.objects.filter(pk=device.pk).update(
        last_polled_at=now, last_error="; ".join(e["detail"] for e in errors)[:300])
    return result


def modbus_devices_due(*, now: dt.datetime) -> list[ModbusDevice]:
    """Enabled devices not yet polled in their current interval."""
    due = []
    for device in ModbusDevice.objects.filter(enabled=True).select_related("site"):
        last = device.last_polled_at
        if last is None or slot_start(last, device.interval_seconds) < slot_start(now, device.interval_seconds):
            due.append(device)
    return due
