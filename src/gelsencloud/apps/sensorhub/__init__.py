"""Sensor hub: device registry, LoRaWAN ingestion and payload decoders."""

from __future__ import annotations

from gelsencloud.core.plugins import Plugin

plugin = Plugin(
    name="sensorhub",
    title_de="Sensor-Hub (LoRaWAN)",
    title_en="Sensor hub (LoRaWAN)",
    description="Geräteverwaltung und LoRaWAN-Anbindung (ChirpStack, The Things Stack).",
)
