"""Sensor hub: device registry, LoRaWAN ingestion (ChirpStack v4, The Things Stack v3), payload decoders.

Uplinks arrive by webhook (/ingest/chirpstack, /ingest/ttn, authenticated with a tenant's API key)
or from the shared MQTT broker; each is stored raw first, then decoded into SensorThings
Observations of the device's Datastreams, which are created on first sight of a quantity.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gelsencloud.apps.cockpit.live import AirQualityKpis
from gelsencloud.apps.sensorhub.air import load_air_series
from gelsencloud.apps.sensorhub.kpi import InfrastructureKpis
from gelsencloud.core.plugins import HomePanel, Ingestor, Job, MapLayer, NavEntry, Plugin

HERE = Path(__file__).resolve().parent


def _api_router():
    from gelsencloud.apps.sensorhub.routes import build_router

    return build_router()


def _page_router():
    from gelsencloud.apps.sensorhub.pages import build_router

    return build_router()


def _cli():
    from gelsencloud.apps.sensorhub.cli import app

    return app


def _mqtt(topic: str, payload: bytes, db) -> None:
    from gelsencloud.apps.sensorhub.ingest import handle_mqtt

    handle_mqtt(topic, payload, db)


def _panel(session) -> dict:
    from gelsencloud.apps.sensorhub.panel import home_context

    return home_context(session)


def _demo(ctx) -> None:
    from gelsencloud.apps.sensorhub.demo import generate

    generate(ctx)


def _live(ctx) -> str:
    from gelsencloud.apps.sensorhub.demo import send_live_uplinks

    return send_live_uplinks(ctx)


plugin = Plugin(
    name="sensorhub",
    title_de="Sensor-Hub (LoRaWAN)",
    title_en="Sensor hub (LoRaWAN)",
    description="Geräteverwaltung und LoRaWAN-Anbindung (ChirpStack, The Things Stack).",
    models_module="gelsencloud.apps.sensorhub.models",
    migrations=HERE / "migrations",
    api_router=_api_router,
    page_router=_page_router,
    templates=HERE / "templates",
    nav=(
        NavEntry("/sensoren", "Sensoren", "Sensors", order=20),
        NavEntry("/arbeitsbereich/geraete", "Geräte", "Devices", order=910, staff_only=True),
    ),
    map_layers=(
        MapLayer(
            "sensoren",
            "/api/v1/sensorhub/map.geojson",
            "Sensoren",
            "Sensors",
            order=30,
            color="#c0392b",
            text_alternative="/sensoren",
        ),
    ),
    cli=_cli,
    jobs=(
        Job(
            "sensorhub.demo-live",
            _live,
            timedelta(minutes=1),
            "Demo city only: send synthetic LoRaWAN uplinks through the webhooks.",
        ),
    ),
    kpi_providers=(InfrastructureKpis(), AirQualityKpis(loader=load_air_series)),
    ingestors=(
        Ingestor(
            "sensorhub.mqtt",
            "ChirpStack v4 and The Things Stack v3 events from the shared MQTT broker.",
            mqtt_topics=("application/+/device/+/event/+", "v3/+/devices/+/up"),
            handle_mqtt=_mqtt,
        ),
    ),
    home_panels=(HomePanel("sensorhub/panel.html", _panel, order=10),),
    demo=_demo,
    demo_order=200,  # after the SensorThings schema exists, before applications that read sensor data
    translations_en={
        "Geräte": "Devices",
        "Kategorie": "Category",
        "alle": "all",
        "Filtern": "Filter",
        "Zustand": "State",
        "Zuletzt gesehen": "Last seen",
        "Batterie": "Battery",
        "in Ordnung": "ok",
        "ausgefallen": "silent",
        "noch nie gesehen": "never seen",
        "inaktiv": "inactive",
        "Nicht dekodierte Nachrichten": "Messages not decoded",
        "Sensoren": "Sensors",
        "Messwerte der Sensoren der Stadt mit dem jeweils neuesten Wert.": "Measurements of the city's sensors with their latest value.",
        "Alle Daten über die SensorThings API": "All data through the SensorThings API",
        "Keine Sensoren gefunden.": "No sensors found.",
        "neueste Messwerte": "latest measurements",
        "Sensor": "Sensor",
        "Messgröße": "Quantity",
        "Neuester Wert": "Latest value",
        "Zeitpunkt (UTC)": "Time (UTC)",
        "Alle Sensoren": "All sensors",
        "Dieser Sensor in der SensorThings API": "This sensor in the SensorThings API",
        "Standort": "Location",
        "Gerätezustand": "Device health",
        "Messreihen": "Data series",
        "Zeitraum": "Period",
        "24 Stunden": "24 hours",
        "7 Tage": "7 days",
        "30 Tage (Stundenmittel)": "30 days (hourly means)",
        "Dieser Sensor hat noch keine Messreihen.": "This sensor has no data series yet.",
        "Keine Messwerte in diesem Zeitraum.": "No measurements in this period.",
        "Daten als Tabelle": "Data as a table",
        "die letzten Werte": "the latest values",
        "Wert": "Value",
        "Gerät registrieren": "Register a device",
        "Das Gerät wird Ihrem Mandanten zugeordnet. Für LoRaWAN-Geräte sind DevEUI, Decoder und Standort nötig; der Standort wird zum Messort (FeatureOfInterest) aller Messwerte.": "The device is assigned to your tenant. LoRaWAN devices need a DevEUI, a decoder and a position; the position becomes the feature of interest of all their measurements.",
        "(16 Hex-Zeichen, leer für Geräte ohne LoRaWAN)": "(16 hex digits, empty for devices without LoRaWAN)",
        "Decoder": "Decoder",
        "keiner": "none",
        "Längengrad (WGS 84)": "Longitude (WGS 84)",
        "Breitengrad (WGS 84)": "Latitude (WGS 84)",
        "Standort (Bezeichnung)": "Site (name)",
        "Messdaten sind": "Measurements are",
        "öffentlich": "public",
        "intern": "internal",
        "personenbezogen": "personal",
        "Registrieren": "Register",
        "Funk": "Radio",
        "Messwerte und Diagramme": "Measurements and charts",
        "Empfangene Nachrichten": "Messages received",
        "Zeitpunkt": "Time",
        "Netzserver": "Network server",
        "Status": "Status",
        "Messwerte": "Measurements",
        "Fehler": "Error",
        "verarbeitet": "processed",
        "nicht dekodiert": "not decoded",
        "unbekanntes Gerät": "unknown device",
        "ignoriert": "ignored",
        "gespeichert": "stored",
        "Noch keine Nachricht von diesem Gerät.": "No message from this device yet.",
        "Die Luft jetzt": "The air now",
        "Europäischer Luftqualitätsindex je Messstation (letzte Stunde)": "European Air Quality Index per station (last hour)",
        "Station": "Station",
        "Index": "Index",
        "µg/m³, neueste Werte; Index nach der Europäischen Umweltagentur (2024).": "µg/m³, latest values; index as defined by the European Environment Agency (2024).",
        "Zurzeit keine aktuellen Messwerte.": "No current measurements at the moment.",
        "Freie Stellplätze": "Free parking spaces",
        "von": "of",
        "frei": "free",
    },
)
