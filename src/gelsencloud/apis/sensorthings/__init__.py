"""OGC SensorThings API 1.1 (Part 1: Sensing) at /sta/v1.1, with batch, data-array and MQTT extensions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gelsencloud.core.plugins import Ingestor, Job, Plugin

HERE = Path(__file__).resolve().parent


def _api_router():
    from gelsencloud.apis.sensorthings.routes import build_router

    return build_router()


def _error_handlers() -> dict:
    from gelsencloud.apis.sensorthings.errors import handlers

    return handlers()


def _mqtt(topic: str, payload: bytes, db) -> None:
    from gelsencloud.apis.sensorthings.mqtt_create import handle_message

    handle_message(topic, payload, db)


def _retention(ctx) -> str:
    from gelsencloud.apis.sensorthings.retention import run_job

    return run_job(ctx)


plugin = Plugin(
    name="sensorthings",
    title_de="Sensordaten (SensorThings API)",
    title_en="Sensor data (SensorThings API)",
    description="OGC SensorThings API 1.1 für alle Sensordaten der Stadt.",
    models_module="gelsencloud.apis.sensorthings.models",
    migrations=HERE / "migrations",
    api_router=_api_router,
    exception_handlers=_error_handlers(),
    jobs=(
        Job(
            "sensorthings.retention",
            _retention,
            timedelta(days=1),
            "Down-sample and expire Observations by each Datastream's properties.retention policy.",
        ),
    ),
    ingestors=(
        Ingestor(
            "sensorthings.mqtt",
            "Create Observations published to v1.1/Observations or v1.1/Datastreams(<id>)/Observations.",
            mqtt_topics=("v1.1/Observations", "v1.1/+/Observations"),
            handle_mqtt=_mqtt,
        ),
    ),
)
