"""Geocoding of reports: address → point for address-only reports, point → address for pin-only ones.

Backends (``GELSENCLOUD_MAENGELMELDER_GEOCODER``):

* ``gazetteer`` (default): a CSV of street segments with house-number ranges that ships with the
  app (``data/gazetteer.csv``, synthetic and approximate, see its header) and works offline;
* ``nominatim`` / ``photon``: an HTTP geocoder at ``GEOCODER_URL`` (the city's own instance in
  production; the public OSM servers allow at most one request per second);
* ``none``: no geocoding.

Every backend answers ``None`` when it cannot place an address inside the city's bounding box;
HTTP backends raise :class:`GeocoderUnavailable` when the server cannot be reached.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import httpx

Bbox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
GAZETTEER_FILE = Path(__file__).resolve().parent / "data" / "gazetteer.csv"
REVERSE_MAX_M = 250.0  # a pin farther than this from every known street gets no address
_UMLAUTS = str.maketrans({"ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue"})
_POSTCODE = re.compile(r"\b(\d{5})\b")


class GeocoderUnavailable(RuntimeError):
    """The geocoding server could not be reached or answered nonsense."""


@dataclass(frozen=True)
class GeoResult:
    """A geocoded place: point, display address, postcode and how exact it is."""

    lat: float
    lon: float
    address: str
    zipcode: str = ""
    precision: str = "street"  # "house_number" | "street" | "place"
    source: str = ""


class Geocoder(Protocol):
    """What the citizen gateway needs from a geocoder."""

    def geocode(self, text: str, bbox: Bbox) -> GeoResult | None:
        """Return the place of an address inside ``bbox``, or None."""

    def reverse(self, lat: float, lon: float, bbox: Bbox) -> GeoResult | None:
        """Return the nearest address of a point, or None."""


def _inside(lat: float, lon: float, bbox: Bbox) -> bool:
    return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]


def normalise(text: str) -> str:
    """Lower-case, umlauts spelled out, "Str."/"str" expanded to "strasse"."""
    text = text.lower().translate(_UMLAUTS)
    return re.sub(r"str\b\.?", "strasse", text)


# --- offline gazetteer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One gazetteer row: a street segment whose house numbers run from ``first`` to ``last``."""

    street: str
    postcode: str
    quarter: str
    first: int
    last: int
    start: tuple[float, float]  # lat, lon
    end: tuple[float, float]

    def point(self, number: int | None) -> tuple[float, float]:
        """Interpolate a house number along the segment (the midpoint without a number)."""
        if number is None or self.last == self.first:
            t = 0.5 if number is None else 0.0
        else:
            t = min(max((number - self.first) / (self.last - self.first), 0.0), 1.0)
        return (
            self.start[0] + t * (self.end[0] - self.start[0]),
            self.start[1] + t * (self.end[1] - self.start[1]),
        )


def _street_pattern(street: str) -> re.Pattern[str]:
    letters = re.sub(r"[^a-z0-9]", "", normalise(street))
    # Spaces, hyphens and dots may appear anywhere between the letters ("Kurt Schumacher Str.").
    return re.compile(r"(?<![a-z0-9])" + r"[\s.\-]*".join(re.escape(c) for c in letters) + r"(?![a-z])")


class GazetteerGeocoder:
    """Offline geocoder over a CSV of street segments (see ``data/gazetteer.csv``)."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.streets: dict[str, list[Segment]] = {}
        for seg in segments:
            self.streets.setdefault(seg.street, []).append(seg)
        # Longest names first, so "Ückendorfer Straße" wins over a shorter name inside it.
        self.patterns = sorted(
            ((name, _street_pattern(name)) for name in self.streets), key=lambda p: -len(p[0])
        )
        self.postcodes = {seg.postcode for seg in segments}

    @classmethod
    def from_file(cls, path: Path) -> GazetteerGeocoder:
        """Load a gazetteer CSV (lines starting with # are comments)."""
        with path.open(encoding="utf-8") as handle:
            rows = csv.DictReader(line for line in handle if not line.startswith("#"))
            segments = [
                Segment(
                    street=row["street"].strip(),
                    postcode=row["postcode"].strip(),
                    quarter=row["quarter"].strip(),
                    first=int(row["from_no"]),
                    last=int(row["to_no"]),
                    start=(float(row["start_lat"]), float(row["start_lon"])),
                    end=(float(row["end_lat"]), float(row["end_lon"])),
                )
                for row in rows
            ]
        if not segments:
            raise ValueError(f"gazetteer {path} has no rows")
        return cls(segments)

    def geocode(self, text: str, bbox: Bbox) -> GeoResult | None:
        """Find a known street (and house number) in free text such as "Bahnhofstr. 12, 45879"."""
        norm = normalise(text)
        postcode = next((p for p in _POSTCODE.findall(norm)), None)
        if postcode and postcode not in self.postcodes:
            return None  # a postcode of another town: do not guess a street of ours
        for name, pattern in self.patterns:
            match = pattern.search(norm)
            if match is None:
                continue
            segments = self.streets[name]
            if postcode:
                segments = [s for s in segments if s.postcode == postcode] or segments
            number_match = re.match(r"\s*(\d{1,4})\s*([a-z])?(?![0-9])", norm[match.end() :])
            number = int(number_match.group(1)) if number_match else None
            result = self._place(name, segments, number)
            if result and _inside(result.lat, result.lon, bbox):
                return result
            return None
        return None

    def _place(self, name: str, segments: list[Segment], number: int | None) -> GeoResult:
        hit = next((s for s in segments if number is not None and s.first <= number <= s.last), None)
        if hit is not None:
            lat, lon = hit.point(number)
            return GeoResult(
                round(lat, 6),
                round(lon, 6),
                f"{name} {number}, {hit.postcode} Gelsenkirchen",
                hit.postcode,
                "house_number",
                "gazetteer",
            )
        # No (known) house number: the middle of the street's segments.
        points = [s.point(None) for s in segments]
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        return GeoResult(
            round(lat, 6),
            round(lon, 6),
            f"{name}, {segments[0].postcode} Gelsenkirchen",
            segments[0].postcode,
            "street",
            "gazetteer",
        )

    def reverse(self, lat: float, lon: float, bbox: Bbox) -> GeoResult | None:
        """Return the interpolated house number on the nearest segment within 250 m."""
        if not _inside(lat, lon, bbox):
            return None
        best: tuple[float, Segment, float] | None = None
        kx = 111_320 * math.cos(math.radians(lat))  # metres per degree of longitude here
        for seg in self.segments:
            ax, ay = (seg.start[1] - lon) * kx, (seg.start[0] - lat) * 111_320
            bx, by = (seg.end[1] - lon) * kx, (seg.end[0] - lat) * 111_320
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else min(max(-(ax * dx + ay * dy) / length2, 0.0), 1.0)
            dist = math.hypot(ax + t * dx, ay + t * dy)
            if best is None or dist < best[0]:
                best = (dist, seg, t)
        if best is None or best[0] > REVERSE_MAX_M:
            return None
        _, seg, t = best
        number = round(seg.first + t * (seg.last - seg.first))
        return GeoResult(
            lat,
            lon,
            f"{seg.street} {number}, {seg.postcode} Gelsenkirchen",
            seg.postcode,
            "house_number",
            "gazetteer",
        )


@lru_cache(maxsize=4)
def _gazetteer(path: str, mtime: float) -> GazetteerGeocoder:
    return GazetteerGeocoder.from_file(Path(path))


def gazetteer(path: Path = GAZETTEER_FILE) -> GazetteerGeocoder:
    """Return the gazetteer geocoder for a file (re-read when the file changes)."""
    return _gazetteer(str(path), path.stat().st_mtime)


# --- HTTP geocoders (Nominatim, Photon) ---------------------------------------------------------


class HttpGeocoder:
    """Nominatim (``/search``, ``/reverse``, format jsonv2) or Photon (``/api``, ``/reverse``)."""

    def __init__(
        self, url: str, *, kind: str = "nominatim", timeout: float = 3.0, user_agent: str = ""
    ) -> None:
        if kind not in ("nominatim", "photon"):
            raise ValueError(f"unknown geocoder kind {kind!r}")
        self.url = url.rstrip("/")
        self.kind = kind
        self.timeout = timeout
        # Nominatim's usage policy asks every application to identify itself.
        self.headers = {"User-Agent": user_agent or "GELSENcloud GE-meldet", "Accept-Language": "de"}

    def _get(self, path: str, params: dict[str, str]) -> object:
        try:
            response = httpx.get(self.url + path, params=params, headers=self.headers, timeout=self.timeout)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GeocoderUnavailable(f"{self.kind} at {self.url}: {exc}") from exc

    def geocode(self, text: str, bbox: Bbox) -> GeoResult | None:
        """Search an address, restricted to the city's bounding box."""
        min_lon, min_lat, max_lon, max_lat = bbox
        if self.kind == "nominatim":
            found = self._get(
                "/search",
                {
                    "q": text,
                    "format": "jsonv2",
                    "addressdetails": "1",
                    "limit": "1",
                    "countrycodes": "de",
                    "viewbox": f"{min_lon},{max_lat},{max_lon},{min_lat}",
                    "bounded": "1",
                },
            )
            return self._nominatim(found[0], bbox) if isinstance(found, list) and found else None
        found = self._get(
            "/api",
            {"q": text, "limit": "1", "lang": "de", "bbox": f"{min_lon},{min_lat},{max_lon},{max_lat}"},
        )
        features = found.get("features") if isinstance(found, dict) else None
        return self._photon(features[0], bbox) if features else None

    def reverse(self, lat: float, lon: float, bbox: Bbox) -> GeoResult | None:
        """Return the address nearest to a point."""
        if not _inside(lat, lon, bbox):
            return None
        if self.kind == "nominatim":
            found = self._get(
                "/reverse",
                {
                    "lat": f"{lat:.6f}",
                    "lon": f"{lon:.6f}",
                    "format": "jsonv2",
                    "addressdetails": "1",
                    "zoom": "18",
                },
            )
            if not isinstance(found, dict) or "error" in found:
                return None
            result = self._nominatim(found, None)
        else:
            found = self._get(
                "/reverse", {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "limit": "1", "lang": "de"}
            )
            features = found.get("features") if isinstance(found, dict) else None
            result = self._photon(features[0], None) if features else None
        # Keep the citizen's pin; only the address text comes from the geocoder.
        return (
            GeoResult(lat, lon, result.address, result.zipcode, result.precision, result.source)
            if result
            else None
        )

    def _nominatim(self, item: dict, bbox: Bbox | None) -> GeoResult | None:
        try:
            lat, lon = float(item["lat"]), float(item["lon"])
        except (KeyError, TypeError, ValueError):
            raise GeocoderUnavailable(f"nominatim at {self.url}: result without lat/lon") from None
        if bbox is not None and not _inside(lat, lon, bbox):
            return None
        addr = item.get("address") or {}
        street = addr.get("road") or addr.get("pedestrian") or addr.get("footway") or ""
        city = addr.get("city") or addr.get("town") or addr.get("village") or ""
        return _result(
            lat,
            lon,
            street,
            addr.get("house_number", ""),
            addr.get("postcode", ""),
            city,
            item.get("display_name", ""),
            "nominatim",
        )

    def _photon(self, feature: dict, bbox: Bbox | None) -> GeoResult | None:
        try:
            lon, lat = (float(v) for v in feature["geometry"]["coordinates"][:2])
        except (KeyError, TypeError, ValueError):
            raise GeocoderUnavailable(f"photon at {self.url}: feature without coordinates") from None
        if bbox is not None and not _inside(lat, lon, bbox):
            return None
        props = feature.get("properties") or {}
        return _result(
            lat,
            lon,
            props.get("street") or "",
            props.get("housenumber") or "",
            props.get("postcode") or "",
            props.get("city") or "",
            props.get("name") or "",
            "photon",
        )


def _result(lat, lon, street, number, postcode, city, fallback, source) -> GeoResult:
    if street:
        line = f"{street} {number}".strip()
        place = f"{postcode} {city}".strip()
        address = f"{line}, {place}" if place else line
    else:
        address = fallback
    precision = "house_number" if street and number else ("street" if street else "place")
    return GeoResult(round(lat, 6), round(lon, 6), address[:300], postcode[:10], precision, source)


def geocoder_from_settings(settings) -> Geocoder | None:
    """Build the configured geocoder (``None`` when geocoding is switched off)."""
    kind = settings.geocoder
    if kind == "none":
        return None
    if kind == "gazetteer":
        return gazetteer(settings.gazetteer_file)
    if not settings.geocoder_url:
        raise ValueError(f"GELSENCLOUD_MAENGELMELDER_GEOCODER={kind} needs GEOCODER_URL")
    return HttpGeocoder(
        settings.geocoder_url,
        kind=kind,
        timeout=settings.geocoder_timeout,
        user_agent=settings.geocoder_user_agent,
    )
