"""Configuration of GE-meldet: environment settings and the service catalogue seed file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SEED_FILE = Path(__file__).resolve().parent / "data" / "services.yaml"
GAZETTEER_FILE = Path(__file__).resolve().parent / "data" / "gazetteer.csv"


class MaengelmelderSettings(BaseSettings):
    """Settings of the plugin (env prefix ``GELSENCLOUD_MAENGELMELDER_``); read on every use."""

    model_config = SettingsConfigDict(env_prefix="GELSENCLOUD_MAENGELMELDER_", extra="ignore")

    seed_file: Path = Field(SEED_FILE, description="YAML file with jurisdictions, departments, services.")
    retention_days_after_close: int = Field(
        30, ge=0, description="Delete reporter contact data and subscriptions this long after closing."
    )
    retention_days_max: int = Field(
        365, ge=1, description="Delete reporter contact data of still-open reports after this long."
    )
    ip_hash_hours: int = Field(48, ge=1, description="Keep the salted IP hash (rate limits) this long.")
    rate_limit_per_ip_hour: int = Field(10, ge=1, description="Reports per client IP and hour.")
    rate_limit_per_email_day: int = Field(5, ge=1, description="Reports per e-mail address and day.")
    max_photos: int = Field(3, ge=0, description="Photos per report.")
    max_photo_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Size limit per uploaded photo.")
    photo_max_edge: int = Field(2048, ge=256, description="Longest edge of stored photos in pixels.")
    followup_days: int = Field(28, ge=1, description="Ask 'is it fixed?' this many days after a report.")
    mail_backend: str = Field("file", description="'smtp', 'file' (development) or 'log'.")
    mail_dir: Path | None = Field(None, description="Folder of the file backend (default var/mail).")
    mail_from: str = Field("GE-meldet <ge-meldet@gelsenkirchen.de>", description="Sender address.")
    smtp_host: str = Field("localhost", description="SMTP server.")
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_user: str | None = Field(None, description="SMTP user name.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS.")
    geocoder: Literal["gazetteer", "nominatim", "photon", "none"] = Field(
        "gazetteer", description="Geocoder for address-only reports and pin-only addresses."
    )
    geocoder_url: str | None = Field(None, description="Base URL of the Nominatim or Photon server.")
    geocoder_timeout: float = Field(3.0, gt=0, le=30, description="Seconds to wait for the geocoder.")
    geocoder_user_agent: str = Field(
        "GELSENcloud GE-meldet (ge-meldet@gelsenkirchen.de)", description="User-Agent sent to the geocoder."
    )
    gazetteer_file: Path = Field(GAZETTEER_FILE, description="CSV of street segments (offline geocoder).")
    reverse_geocode: bool = Field(True, description="Fill the address of pin-only reports from the geocoder.")


def plugin_settings() -> MaengelmelderSettings:
    """Return the plugin settings from the environment (parsed again only when it changes)."""
    prefix = MaengelmelderSettings.model_config["env_prefix"]
    return _settings(tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(prefix))))


@lru_cache(maxsize=16)
def _settings(_env: tuple[tuple[str, str], ...]) -> MaengelmelderSettings:
    # Building pydantic settings costs ~1 ms; every request reads them, so parse once per environment.
    return MaengelmelderSettings()


@dataclass(frozen=True)
class Jurisdiction:
    """An Open311 jurisdiction: a city bound to one tenant."""

    id: str
    tenant: str
    name: str
    region: str
    default: bool
    anonymous_post: bool
    premoderate_reports: bool
    contact: str
    key_service: str


@dataclass(frozen=True)
class Catalogue:
    """The parsed seed file."""

    version: str
    jurisdictions: tuple[Jurisdiction, ...]
    departments: dict[str, dict[str, str]]
    routing: tuple[dict[str, Any], ...]
    status_templates: dict[str, str]
    services: tuple[dict[str, Any], ...]

    def jurisdiction(self, jurisdiction_id: str | None) -> Jurisdiction | None:
        """Return a jurisdiction by id; the default one when no id is given."""
        for j in self.jurisdictions:
            if (jurisdiction_id and j.id == jurisdiction_id) or (not jurisdiction_id and j.default):
                return j
        return None

    def department_name(self, key: str) -> str:
        """Return the display name of a department key (the key itself when unknown)."""
        return self.departments.get(key, {}).get("name", key)

    def agency(self, key: str) -> str:
        """Return the agency responsible for a department key."""
        return self.departments.get(key, {}).get("agency", "")

    def route(self, service_code: str, district_code: str | None, fallback: str) -> str:
        """Apply the routing rules (first match wins) and return a department key."""
        for rule in self.routing:
            if rule["service"] != service_code:
                continue
            districts = rule.get("districts")
            if districts and district_code not in districts:
                continue
            return rule["department"]
        return fallback


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Catalogue:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Catalogue(
        version=str(raw.get("version", "1")),
        jurisdictions=tuple(Jurisdiction(**j) for j in raw["jurisdictions"]),
        departments=dict(raw.get("departments", {})),
        routing=tuple(raw.get("routing", [])),
        status_templates=dict(raw.get("status_templates", {})),
        services=tuple(raw.get("services", [])),
    )


def catalogue() -> Catalogue:
    """Return the parsed seed file (re-read when it changes)."""
    path = plugin_settings().seed_file
    return _load(str(path), path.stat().st_mtime)
