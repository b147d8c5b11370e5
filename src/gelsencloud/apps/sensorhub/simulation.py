"""The synthetic sensors of the demo city: deterministic value models per device and time.

Every value is a pure function of (device, time), so the backfilled history and the live uplinks
sent later continue each other. Patterns: daily and weekly rhythms in local time, weather-like
variation, match days in the ARENA PARK, and the planted faults the applications should find
(a silent air-quality station, a leak in a city building, an air-quality episode).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def noise(*key: object) -> float:
    """A repeatable pseudo-random number in [-1, 1] for a key (same key, same number)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def smooth_noise(key: str, moment: datetime, hours: float = 6.0) -> float:
    """Noise that drifts slowly over time (linear between knots every ``hours``): weather-like."""
    position = moment.timestamp() / 3600 / hours
    knot = math.floor(position)
    frac = position - knot
    return noise(key, knot) * (1 - frac) + noise(key, knot + 1) * frac


@dataclass(frozen=True)
class Scenario:
    """The demo period and its planted events."""

    end: datetime
    days: int
    match_days: tuple[datetime, ...] = ()
    episode: tuple[datetime, datetime] | None = None
    leak_from: datetime | None = None
    silent_from: datetime | None = None

    @property
    def start(self) -> datetime:
        """First moment of the backfilled history."""
        return self.end - timedelta(days=self.days)

    def is_match(self, moment: datetime) -> float:
        """Return 0..1: how strongly a home match fills the ARENA PARK at ``moment``."""
        for kickoff in self.match_days:
            hours = (moment - kickoff).total_seconds() / 3600
            if -3.5 <= hours <= 2.5:
                return 1.0 if -1.5 <= hours <= 2.0 else 0.6
        return 0.0

    def in_episode(self, moment: datetime) -> bool:
        """Tell whether the air-quality episode (a winter inversion) is under way."""
        return self.episode is not None and self.episode[0] <= moment < self.episode[1]


def make_scenario(end: datetime, days: int) -> Scenario:
    """Plant the events relative to the end of the history, so every demo shows them."""
    end = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    local_end = end.astimezone(BERLIN)
    matches = []
    day = local_end.date() - timedelta(days=days)
    week = 0
    while day <= local_end.date():
        if day.weekday() == 5:  # Saturdays, every other one a home match at 15:30
            if week % 2 == 0:
                matches.append(datetime(day.year, day.month, day.day, 15, 30, tzinfo=BERLIN).astimezone(UTC))
            week += 1
        day += timedelta(days=1)
    # The episode starts at local midnight so that whole calendar days exceed the daily limit.
    local_start = (local_end - timedelta(days=min(6, days))).replace(hour=0)
    episode_start = local_start.astimezone(UTC)
    return Scenario(
        end=end,
        days=days,
        match_days=tuple(matches),
        episode=(episode_start, episode_start + timedelta(days=2, hours=12)),
        leak_from=end - timedelta(days=min(7, days)),
        silent_from=end - timedelta(days=min(2, days)),
    )


@dataclass
class SimDevice:
    """A demo device and its model parameters."""

    key: str
    name: str
    category: str
    tenant: str
    longitude: float
    latitude: float
    decoder: str | None = None
    dev_eui: str | None = None
    site: str | None = None
    data_classification: str = "public"
    interval_h: int = 1
    params: dict = field(default_factory=dict)


def _local_hour(moment: datetime) -> float:
    local = moment.astimezone(BERLIN)
    return local.hour + local.minute / 60


def _weekday(moment: datetime) -> int:
    return moment.astimezone(BERLIN).weekday()


def air_quality(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float]:
    """PM10, PM2.5 and NO2 with traffic peaks, weather drift and the inversion episode."""
    hour, weekday = _local_hour(moment), _weekday(moment)
    traffic = dev.params.get("traffic", 1.0)
    rush = math.exp(-((hour - 8) ** 2) / 3) + 0.8 * math.exp(-((hour - 17.5) ** 2) / 4)
    rush *= 0.5 if weekday >= 5 else 1.0
    weather = smooth_noise("weather", moment)  # shared by all stations: the same weather everywhere
    local = 0.3 * smooth_noise(dev.key, moment, 3)
    episode = 3.4 if sc.in_episode(moment) else 1.0
    pm10 = max(2.0, (16 + 6 * weather + 4 * local + 6 * rush * traffic) * episode)
    no2 = max(
        3.0, (18 + 22 * rush * traffic + 5 * weather + 4 * local) * (1.4 if sc.in_episode(moment) else 1.0)
    )
    temp = 5.5 + 3.5 * math.sin((hour - 9) / 24 * 2 * math.pi) + 3 * weather
    return {
        "pm10": round(pm10, 1),
        "pm2_5": round(pm10 * (0.62 + 0.05 * local), 1),
        "no2": round(no2, 1),
        "temperature": round(temp, 2),
        "humidity": round(min(100.0, max(35.0, 82 - 2.5 * (temp - 5) + 6 * local)) * 2) / 2,
        "pressure": round(1013 + 9 * smooth_noise("pressure", moment, 24), 1),
    }


def fill_level(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float]:
    """Paper containers fill at their own rate and are emptied on a fixed tour every few days."""
    rate = dev.params["rate"]  # percent per day
    period_days = dev.params["period"]
    tour = dev.params["tour_offset"]
    hours = (moment - sc.start).total_seconds() / 3600 + tour
    since_empty = hours % (period_days * 24)
    fill = min(100.0, rate * since_empty / 24 * (1 + 0.15 * noise(dev.key, int(hours))))
    depth = 1600  # mm from sensor to the container floor
    battery = max(5.0, 96 - (moment - sc.start).days * 0.08 - dev.params["age"])
    return {
        "distance": int(depth * (1 - fill / 100)),
        "fill_level": int(round(fill)),
        "battery": int(battery),
        "tilt": int(2 + 2 * noise(dev.key, "tilt")),
    }


def parking(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float]:
    """Bays in the city centre follow shop hours; bays in the ARENA PARK fill on match days."""
    hour, weekday = _local_hour(moment), _weekday(moment)
    if dev.params["zone"] == "arena":
        probability = 0.08 + 0.9 * sc.is_match(moment)
    else:
        if weekday == 6:
            probability = 0.15
        elif 8.5 <= hour <= 19:
            probability = 0.85 if weekday < 5 else 0.9
        else:
            probability = 0.3
    occupied = (noise(dev.key, int(moment.timestamp() // 3600)) + 1) / 2 < probability
    return {"occupied": occupied, "battery": int(max(10, 92 - dev.params["age"]))}


def water(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float]:
    """A building's water meter index; the planted leak adds a constant flow day and night."""
    hours = (moment - sc.start).total_seconds() / 3600
    base = dev.params["base"] + dev.params["daily_l"] * hours / 24
    leaking = dev.params.get("leak") and sc.leak_from is not None and moment >= sc.leak_from
    if leaking:
        base += 420 * (moment - sc.leak_from).total_seconds() / 3600
    return {"volume": int(base), "leak": bool(leaking), "backflow": False}


def electricity(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float]:
    """A building's energy register and current power with office hours."""
    hour, weekday = _local_hour(moment), _weekday(moment)
    office = weekday < 5 and 7 <= hour <= 18
    power = (
        dev.params["base_w"]
        * (2.6 if office else 1.0)
        * (1 + 0.1 * noise(dev.key, int(moment.timestamp() // 900)))
    )
    hours = (moment - sc.start).total_seconds() / 3600
    energy = dev.params["base_wh"] + dev.params["base_w"] * 1.5 * hours
    return {"energy": int(energy), "power": int(power)}


def heat(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float]:
    """A district-heating meter: more heat when it is cold outside and during occupied hours."""
    hour, weekday = _local_hour(moment), _weekday(moment)
    occupied = weekday < 5 and 6 <= hour <= 19
    load_kw = dev.params["base_kw"] * (1.4 if occupied else 0.7)
    hours = (moment - sc.start).total_seconds() / 3600
    flow = 70.0 + 3 * noise(dev.key, int(moment.timestamp() // 3600))
    spread = 22.0 if occupied else 15.0
    return {
        "heat_energy": int(dev.params["base_kwh"] + dev.params["base_kw"] * 1.05 * hours),
        "heat_volume": int(dev.params["base_l"] + load_kw / (1.16 * spread) * 1000 * hours),
        "flow_temperature": round(flow, 2),
        "return_temperature": round(flow - spread, 2),
        "meter_error": False,
    }


def people(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float]:
    """People passing an ARENA PARK entrance per hour; tens of thousands on match days."""
    hour = _local_hour(moment)
    walkers = 40 * math.exp(-((hour - 15) ** 2) / 18)
    match = sc.is_match(moment)
    before = sum(1 for k in sc.match_days if 0 < (k - moment).total_seconds() / 3600 <= 3)
    after = sum(1 for k in sc.match_days if 1.5 <= (moment - k).total_seconds() / 3600 <= 3)
    share = dev.params["share"]
    count_in = walkers + (15000 * share if before else 0) + 200 * match
    count_out = walkers * 0.9 + (14000 * share if after else 0)
    jitter = 1 + 0.1 * noise(dev.key, int(moment.timestamp() // 3600))
    return {"interval": 3600, "count_in": int(count_in * jitter), "count_out": int(count_out * jitter)}


MODELS = {
    "air_quality": air_quality,
    "waste_container": fill_level,
    "parking_space": parking,
    "water_meter": water,
    "electricity_meter": electricity,
    "heat_meter": heat,
    "people_counter": people,
}


def reading(dev: SimDevice, moment: datetime, sc: Scenario) -> dict[str, float] | None:
    """Return the device's values at ``moment``, or None when it sends nothing (silent, no model)."""
    model = MODELS.get(dev.category)
    if model is None or dev.dev_eui is None:
        return None
    if dev.params.get("fails") and sc.silent_from is not None and moment >= sc.silent_from:
        return None
    return model(dev, moment, sc)


# --- the demo city's devices ------------------------------------------------------------------

AIR_STATIONS = [
    ("Altstadt", 7.0982, 51.5093, 1.3),
    ("Buer", 7.0513, 51.5774, 1.0),
    ("Horst", 7.0259, 51.5426, 0.9),
    ("Ückendorf", 7.1090, 51.4975, 1.1),
    ("Erle", 7.0880, 51.5600, 0.8),
    ("Hassel", 7.0620, 51.6060, 0.7),
    ("Schalke, Kurt-Schumacher-Straße", 7.0790, 51.5290, 1.6),
    ("Resse", 7.1180, 51.5790, 0.8),
]
CITY_BUILDINGS = [
    ("Hans-Sachs-Haus", 7.0982, 51.5093),
    ("Rathaus Buer", 7.0513, 51.5774),
    ("Stadtbibliothek", 7.0975, 51.5100),
    ("Gesamtschule Ückendorf", 7.1120, 51.4960),
    ("Grundschule Erle", 7.0870, 51.5590),
    ("Sport-Paradies", 7.0650, 51.5520),
    ("Feuerwache Altstadt", 7.0930, 51.5120),
    ("Verwaltungsgebäude Horst", 7.0270, 51.5420),
    ("Musiktheater im Revier", 7.1006, 51.5072),
    ("Bürgercenter Buer", 7.0530, 51.5760),
]
ARENA = (7.0676, 51.5546)


def _eui(index: int, kind: int) -> str:
    return f"70b3d57ed0{kind:02x}{index:04x}"


def demo_devices(seed: int, quarters: list[tuple[str, float, float]]) -> list[SimDevice]:
    """Build the demo city's devices; positions jitter around quarter seeds and known places."""
    rng = random.Random(seed)
    devices: list[SimDevice] = []

    def jitter(lon: float, lat: float, spread: float = 0.004) -> tuple[float, float]:
        return round(lon + rng.uniform(-spread, spread), 5), round(lat + rng.uniform(-spread, spread), 5)

    for i, (place, lon, lat, traffic) in enumerate(AIR_STATIONS):
        devices.append(
            SimDevice(
                f"air-{i}",
                f"Luftmessstation {place} (Demo)",
                "air_quality",
                "stadt-gelsenkirchen",
                lon,
                lat,
                "gelsencloud-airq",
                _eui(i, 1),
                site=place,
                params={"traffic": traffic, "fails": place == "Hassel"},
            )
        )
    for i in range(40):
        quarter, lon, lat = quarters[i % len(quarters)]
        rate = rng.uniform(6, 18)
        devices.append(
            SimDevice(
                f"fill-{i}",
                f"Altpapiercontainer {quarter} {i + 1} (Demo)",
                "waste_container",
                "gelsendienste",
                *jitter(lon, lat),
                "gelsencloud-fill",
                _eui(i, 2),
                site=f"Containerstandort {quarter}",
                interval_h=2,
                params={
                    "rate": rate,
                    "period": max(3, min(7, int(80 / rate))),
                    "tour_offset": rng.uniform(0, 72),
                    "age": rng.uniform(0, 40),
                },
            )
        )
    for i in range(48):
        arena = i >= 24
        lon, lat = (ARENA[0] + 0.002, ARENA[1] - 0.0015) if arena else (7.0995, 51.5085)
        zone_name = "ARENA PARK, Parkplatz A" if arena else "Altstadt, Ebertstraße"
        devices.append(
            SimDevice(
                f"park-{i}",
                f"Stellplatz {zone_name} Nr. {i % 24 + 1} (Demo)",
                "parking_space",
                "gelsen-net",
                *jitter(lon, lat, 0.0008),
                "gelsencloud-parking",
                _eui(i, 3),
                site=zone_name,
                params={"zone": "arena" if arena else "centre", "age": rng.uniform(0, 30)},
            )
        )
    for i, (building, lon, lat) in enumerate(CITY_BUILDINGS):
        devices.append(
            SimDevice(
                f"water-{i}",
                f"Wasserzähler {building} (Demo)",
                "water_meter",
                "gelsenwasser",
                lon,
                lat,
                "gelsencloud-water",
                _eui(i, 4),
                site=building,
                data_classification="internal",
                params={
                    "base": rng.randint(100_000, 900_000),
                    "daily_l": rng.uniform(800, 6000),
                    "leak": building == "Sport-Paradies",
                },
            )
        )
        devices.append(
            SimDevice(
                f"power-{i}",
                f"Stromzähler {building} (Demo)",
                "electricity_meter",
                "stadt-gelsenkirchen",
                lon,
                lat,
                "gelsencloud-power",
                _eui(i, 5),
                site=building,
                data_classification="internal",
                params={"base_w": rng.uniform(4000, 40000), "base_wh": rng.randint(10**7, 10**8)},
            )
        )
    for i, (building, lon, lat) in enumerate(CITY_BUILDINGS[:4]):  # buildings on district heating
        devices.append(
            SimDevice(
                f"heat-{i}",
                f"Wärmemengenzähler {building} (Demo)",
                "heat_meter",
                "stadt-gelsenkirchen",
                lon,
                lat,
                "gelsencloud-heat",
                _eui(i, 8),
                site=building,
                data_classification="internal",
                params={
                    "base_kw": rng.uniform(40, 250),
                    "base_kwh": rng.randint(10**5, 10**6),
                    "base_l": rng.randint(10**6, 10**7),
                },
            )
        )
    for i, share in enumerate((0.35, 0.3, 0.2, 0.15)):
        devices.append(
            SimDevice(
                f"people-{i}",
                f"Personenzähler ARENA PARK Eingang {i + 1} (Demo)",
                "people_counter",
                "stadt-gelsenkirchen",
                *jitter(*ARENA, 0.003),
                "gelsencloud-people",
                _eui(i, 6),
                site="ARENA PARK",
                params={"share": share},
            )
        )
    for i in range(12):
        quarter, lon, lat = quarters[(i * 5) % len(quarters)]
        devices.append(
            SimDevice(
                f"ev-{i}",
                f"Ladepunkt {quarter} {i + 1} (Demo)",
                "ev_charger",
                "gelsen-net",
                *jitter(lon, lat),
                site=f"Ladesäule {quarter}",
            )
        )
    for i in range(30):
        quarter, lon, lat = quarters[(i * 7) % len(quarters)]
        devices.append(
            SimDevice(
                f"wifi-{i}",
                f"Free WiFi Gelsenkirchen {quarter} {i + 1} (Demo)",
                "wifi_hotspot",
                "gelsen-net",
                *jitter(lon, lat),
                site=quarter,
            )
        )
    return devices
