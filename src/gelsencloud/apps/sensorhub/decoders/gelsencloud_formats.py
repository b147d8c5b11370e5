"""Compact "gelsencloud-*" binary formats for city device types without a well-known vendor format.

All formats: FPort 1, byte 0 = format version (0x01), then big-endian fields. An optional field whose raw
value is the type's maximum (0xFF, 0x7FFF, 0xFFFF, ...) was not measured and is left out of the result.

gelsencloud-airq (12 bytes): ver u8 | pm10 u16 0.1 ug/m3 | pm2_5 u16 0.1 ug/m3 | no2 u16 0.1 ug/m3 |
    temperature i16 0.01 Cel | humidity u8 0.5 % | pressure u16 0.1 hPa         (all optional)
gelsencloud-fill (6 bytes): ver u8 | distance u16 mm | fill_level u8 % | battery u8 % | tilt i8 deg
    (distance is sensor-to-surface; fill_level and tilt are optional)
gelsencloud-parking (3 bytes): ver u8 | flags u8 (bit 0 occupied) | battery u8 %
gelsencloud-water (6 bytes): ver u8 | volume u32 L (meter index) | flags u8 (bit 0 leak, bit 1 backflow)
gelsencloud-power (9 bytes): ver u8 | energy u32 W.h (import register) | power i32 W (negative = feed-in)
gelsencloud-heat (14 bytes): ver u8 | heat_energy u32 kWh (energy register) | heat_volume u32 L (volume
    register) | flow_temperature i16 0.01 degC | return_temperature i16 0.01 degC | flags u8 (bit 0 error)
    (the registers of an EN 1434 heat meter, as a wM-Bus-to-LoRaWAN bridge forwards them)
gelsencloud-people (7 bytes): ver u8 | interval u16 s | count_in u16 | count_out u16 (counts per interval)
"""

from __future__ import annotations

from .base import register
from .fixed import Field, FixedFormat, Flags

__all__ = ["AIRQ", "FILL", "PARKING", "WATER", "POWER", "HEAT", "PEOPLE"]

AIRQ = FixedFormat(
    "gelsencloud-airq",
    1,
    (
        Field("pm10", "H", "ug/m3", 10, optional=True),
        Field("pm2_5", "H", "ug/m3", 10, optional=True),
        Field("no2", "H", "ug/m3", 10, optional=True),
        Field("temperature", "h", "Cel", 100, optional=True),
        Field("humidity", "B", "%", 2, optional=True),
        Field("pressure", "H", "hPa", 10, optional=True),
    ),
)
FILL = FixedFormat(
    "gelsencloud-fill",
    1,
    (
        Field("distance", "H", "mm"),
        Field("fill_level", "B", "%", optional=True),
        Field("battery", "B", "%"),
        Field("tilt", "b", "deg", optional=True),
    ),
)
PARKING = FixedFormat("gelsencloud-parking", 1, (Flags(("occupied",)), Field("battery", "B", "%")))
WATER = FixedFormat("gelsencloud-water", 1, (Field("volume", "I", "L"), Flags(("leak", "backflow"))))
POWER = FixedFormat("gelsencloud-power", 1, (Field("energy", "I", "W.h"), Field("power", "i", "W")))
HEAT = FixedFormat(
    "gelsencloud-heat",
    1,
    (
        Field("heat_energy", "I", "kW.h"),
        Field("heat_volume", "I", "L"),
        Field("flow_temperature", "h", "Cel", 100, optional=True),
        Field("return_temperature", "h", "Cel", 100, optional=True),
        Flags(("meter_error",)),
    ),
)
PEOPLE = FixedFormat(
    "gelsencloud-people",
    1,
    (Field("interval", "H", "s"), Field("count_in", "H", "{count}"), Field("count_out", "H", "{count}")),
)

register(AIRQ.decoder("Air quality: PM10, PM2.5, NO2, temperature, humidity, pressure"))
register(FILL.decoder("Ultrasonic fill level: distance, fill level, battery, tilt"))
register(PARKING.decoder("Parking bay occupancy and battery"))
register(WATER.decoder("Water meter index with leak and backflow alarms"))
register(POWER.decoder("Electricity meter: energy register and active power"))
register(HEAT.decoder("Heat meter: energy and volume registers, flow and return temperature, error flag"))
register(PEOPLE.decoder("People counter: in/out counts per interval"))
