"""Modbus TCP collection against a real pymodbus server started by the test (point tables as data)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import struct
import threading
import time

import pytest
from django.core.management import call_command
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from meters.models import IngestBatch, Reading
from meters.models_gateways import ModbusDevice, ModbusPoint
from meters.services.modbus import modbus_device_poll, register_decode

UNIT = 7


def words(fmt: str, value) -> list[int]:
    raw = struct.pack(f">{fmt}", value)
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


def swap_bytes(regs: list[int]) -> list[int]:
    return [((r & 0xFF) << 8) | (r >> 8) for r in regs]


# Holding registers 0-1: float32 12.5 (ABCD); 20-23: float64 5.0 with each register's bytes swapped (BADC…).
# Input registers 10-11: uint32 100000 = 0x000186A0 with the low word first (CDAB): [0x86A0, 0x0001].
HOLDING = {0: words("f", 12.5), 20: swap_bytes(words("d", 5.0))}
INPUT = {10: [0x86A0, 0x0001]}


@pytest.fixture(scope="module")
def modbus_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    holding = [0] * 40
    for start, regs in HOLDING.items():
        holding[start:start + len(regs)] = regs
    inputs = [0] * 40
    for start, regs in INPUT.items():
        inputs[start:start + len(regs)] = regs
    device = SimDevice(UNIT, ([SimData(0, values=False, datatype=DataType.BITS)],
                              [SimData(0, values=False, datatype=DataType.BITS)],
                              [SimData(0, values=holding, datatype=DataType.REGISTERS)],
                              [SimData(0, values=inputs, datatype=DataType.REGISTERS)]))
    holder: dict = {}
    started = threading.Event()

    async def serve():
        holder["loop"] = asyncio.get_running_loop()
        holder["server"] = ModbusTcpServer(device, address=("127.0.0.1", port))
        started.set()
        await holder["server"].serve_forever()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert started.wait(5)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    yield port
    asyncio.run_coroutine_threadsafe(holder["server"].shutdown(), holder["loop"]).result(5)


@pytest.mark.parametrize(("regs", "data_type", "byte_order", "word_order", "expected"), [
    ([0x4148, 0x0000], "float32", "big", "big", 12.5),             # ABCD
    ([0x0000, 0x4148], "float32", "big", "little", 12.5),          # CDAB
    ([0x4841, 0x0000], "float32", "little", "big", 12.5),          # BADC
    ([0x0000, 0x4841], "float32", "little", "little", 12.5),       # DCBA
    ([0xFFFB], "int16", "big", "big", -5.0),
    ([0xFFFB], "uint16", "big", "big", 65531.0),
    ([0x0001, 0x86A0], "uint32", "big", "big", 100000.0),          # 0x000186A0
    ([0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE], "int64", "big", "big", -2.0),
])
def test_register_decode_byte_and_word_orders(regs, data_type, byte_order, word_order, expected):
    assert register_decode(regs, data_type=data_type, byte_order=byte_order, word_order=word_order) == expected


@pytest.fixture
def device(plant, modbus_server):
    dev = ModbusDevice.objects.create(site=plant["site"], name="pm-1", host="127.0.0.1", port=modbus_server,
                                      unit_id=UNIT, interval_seconds=900, timeout_seconds=2)
    m = plant["meters"]
    ModbusPoint.objects.create(device=dev, meter=m["E1"], function=3, register=0, data_type="float32")
    ModbusPoint.objects.create(device=dev, meter=m["C1"], function=4, register=10, data_type="uint32",
                               word_order="little", scale=0.01)
    ModbusPoint.objects.create(device=dev, meter=m["C2"], function=3, register=20, data_type="float64",
                               byte_order="little")
    return dev


@pytest.mark.django_db
def test_poll_stores_each_point_at_the_interval_start_and_a_repoll_is_duplicates(device, plant):
    # 2025-03-01T00:07:30Z falls in the 900 s interval starting at 00:00.
    now = dt.datetime(2025, 3, 1, 0, 7, 30, tzinfo=dt.UTC)
    result = modbus_device_poll(device=device, now=now)
    assert (result.accepted, result.rejected) == (3, [])
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    # C1: 100000 × 0.01 = 1000.0; E1 12.5; C2 5.0.
    assert sorted(Reading.objects.values_list("meter__code", "ts", "value")) == [
        ("C1", start, 1000.0), ("C2", start, 5.0), ("E1", start, 12.5)]
    again = modbus_device_poll(device=device, now=now + dt.timedelta(minutes=5))
    assert (again.accepted, again.duplicates) == (0, 3)
    assert IngestBatch.objects.filter(source="modbus").count() == 2


@pytest.mark.django_db
def test_unreadable_register_is_a_row_error_and_others_are_stored(device, plant):
    ModbusPoint.objects.filter(meter=plant["meters"]["C2"]).update(register=500)  # outside the server's table
    result = modbus_device_poll(device=device, now=dt.datetime(2025, 3, 1, 0, 7, tzinfo=dt.UTC))
    assert result.accepted == 2
    assert [(e["index"], e["meter"], e["code"]) for e in result.rejected] == [(2, "C2", "read_failed")]
    device.refresh_from_db()
    assert device.last_error.startswith("Register 500 (function 3)")


@pytest.mark.django_db
def test_unreachable_device_records_the_error_and_writes_nothing(plant):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    dev = ModbusDevice.objects.create(site=plant["site"], name="gone", host="127.0.0.1", port=closed_port,
                                      timeout_seconds=0.5)
    assert modbus_device_poll(device=dev) is None
    dev.refresh_from_db()
    assert dev.last_error == f"cannot connect to 127.0.0.1:{closed_port}"
    assert Reading.objects.count() == 0


@pytest.mark.django_db
def test_collect_command_polls_due_devices_once(device):
    call_command("modbus_collect", "--once")
    assert Reading.objects.count() == 3
    device.refresh_from_db()
    assert device.last_polled_at is not None and device.last_error == ""
