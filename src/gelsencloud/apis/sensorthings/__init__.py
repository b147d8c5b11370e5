"""OGC SensorThings API 1.1 (Part 1: Sensing) at /sta/v1.1, with the MQTT extension."""

from __future__ import annotations

from gelsencloud.core.plugins import Plugin

plugin = Plugin(
    name="sensorthings",
    title_de="Sensordaten (SensorThings API)",
    title_en="Sensor data (SensorThings API)",
    description="OGC SensorThings API 1.1 für alle Sensordaten der Stadt.",
)
