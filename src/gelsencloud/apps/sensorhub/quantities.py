"""What decoded quantities mean: names, SensorThings ObservedProperty definitions and units."""

from __future__ import annotations

from dataclasses import dataclass

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
OM_TRUTH = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_TruthObservation"
OM_COUNT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation"


@dataclass(frozen=True)
class Quantity:
    """An observed property as the platform names it."""

    key: str
    name_de: str
    name_en: str
    observation_type: str = OM_MEASUREMENT

    @property
    def definition(self) -> str:
        """A stable identifier for the ObservedProperty (a URN: no web vocabulary is assumed)."""
        return f"urn:gelsencloud:def:quantity:{self.key}"


QUANTITIES = {
    q.key: q
    for q in (
        Quantity("pm10", "Feinstaub PM10", "Particulate matter PM10"),
        Quantity("pm2_5", "Feinstaub PM2,5", "Particulate matter PM2.5"),
        Quantity("no2", "Stickstoffdioxid (NO2)", "Nitrogen dioxide (NO2)"),
        Quantity("temperature", "Lufttemperatur", "Air temperature"),
        Quantity("humidity", "Relative Luftfeuchte", "Relative humidity"),
        Quantity("pressure", "Luftdruck", "Air pressure"),
        Quantity("distance", "Abstand Sensor zum Füllgut", "Distance sensor to surface"),
        Quantity("fill_level", "Füllstand", "Fill level"),
        Quantity("battery", "Batterieladung", "Battery level"),
        Quantity("tilt", "Neigung", "Tilt"),
        Quantity("occupied", "Stellplatz belegt", "Parking bay occupied", OM_TRUTH),
        Quantity("volume", "Zählerstand Wasser", "Water meter index"),
        Quantity("leak", "Leckage-Alarm", "Leak alarm", OM_TRUTH),
        Quantity("backflow", "Rückfluss-Alarm", "Backflow alarm", OM_TRUTH),
        Quantity("energy", "Zählerstand Energie", "Energy meter index"),
        Quantity("power", "Wirkleistung", "Active power"),
        Quantity("heat_energy", "Zählerstand Wärmemenge", "Heat energy meter index"),
        Quantity("heat_volume", "Zählerstand Heizwasser-Volumen", "Heating water volume index"),
        Quantity("flow_temperature", "Vorlauftemperatur", "Flow temperature"),
        Quantity("return_temperature", "Rücklauftemperatur", "Return temperature"),
        Quantity("meter_error", "Zählerstörung", "Meter error", OM_TRUTH),
        Quantity("interval", "Zählintervall", "Counting interval"),
        Quantity("count_in", "Personen hinein", "People in", OM_COUNT),
        Quantity("count_out", "Personen hinaus", "People out", OM_COUNT),
    )
}

# UCUM code -> (name, symbol) for SensorThings unitOfMeasurement.
UNITS = {
    "ug/m3": ("Mikrogramm pro Kubikmeter", "µg/m³"),
    "Cel": ("Grad Celsius", "°C"),
    "%": ("Prozent", "%"),
    "hPa": ("Hektopascal", "hPa"),
    "mm": ("Millimeter", "mm"),
    "deg": ("Grad", "°"),
    "L": ("Liter", "L"),
    "W.h": ("Wattstunde", "Wh"),
    "kW.h": ("Kilowattstunde", "kWh"),
    "W": ("Watt", "W"),
    "s": ("Sekunde", "s"),
    "{bool}": ("Wahrheitswert", ""),
    "{count}": ("Anzahl", ""),
}


def quantity(key: str) -> Quantity:
    """Return the metadata of a quantity; unknown ones get a generic entry, never an error."""
    return QUANTITIES.get(key) or Quantity(key, key, key)


def unit_of_measurement(ucum: str) -> dict[str, str]:
    """Return a SensorThings unitOfMeasurement for a UCUM code."""
    name, symbol = UNITS.get(ucum, (ucum, ucum))
    return {"name": name, "symbol": symbol, "definition": f"https://ucum.org/ucum#{ucum}"}
