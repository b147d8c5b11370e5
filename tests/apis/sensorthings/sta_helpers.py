"""Shared helpers of the SensorThings API tests (imported by the test modules next to it)."""

from __future__ import annotations

from typing import Any

ROOT = "/sta/v1.1"


def create(client, path: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    """POST an entity and return its id parsed from the Location header."""
    response = client.post(f"{ROOT}/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.endswith(")")
    return int(location.rsplit("(", 1)[1].rstrip(")"))


def weather_station(name: str = "Wetterstation Demo", classification: str = "public") -> dict[str, Any]:
    """A deep-insert body: Thing with Location and one Datastream (Sensor, ObservedProperty)."""
    return {
        "name": name,
        "description": "synthetische Wetterstation",
        "properties": {"owner": "Stadt", "floor": 2},
        "@gelsencloud.classification": classification,
        "Locations": [
            {
                "name": "Rathaus Buer",
                "description": "Dach",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [7.05, 51.58]},
                "@gelsencloud.classification": classification,
            }
        ],
        "Datastreams": [
            {
                "name": "Lufttemperatur",
                "description": "2 m über Dach",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": "Grad Celsius", "symbol": "°C", "definition": "ucum:Cel"},
                "Sensor": {
                    "name": "PT100",
                    "description": "Thermometer",
                    "encodingType": "text/html",
                    "metadata": "https://example.org/pt100",
                    "@gelsencloud.classification": classification,
                },
                "ObservedProperty": {
                    "name": "Temperatur",
                    "definition": "http://dbpedia.org/page/Temperature",
                    "description": "Lufttemperatur",
                    "@gelsencloud.classification": classification,
                },
            }
        ],
    }
