"""One typed settings object for the whole platform (env prefix ``GELSENCLOUD_``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Runtime configuration read from the environment and an optional ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="GELSENCLOUD_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = Field("development", description="Deployment mode.")
    database_url: str = Field(
        "sqlite:///./var/gelsencloud.db",
        description="SQLAlchemy URL; postgresql+psycopg://user@host/db in production.",
    )
    secret_key: str = Field(DEFAULT_SECRET, description="Signs sessions and CSRF tokens.")
    base_url: str | None = Field(
        None, description="Public base URL for absolute links, e.g. https://data.gelsenkirchen.de."
    )
    mqtt_url: str | None = Field(None, description="MQTT broker, e.g. mqtt://127.0.0.1:1883.")
    sta_mqtt_select_topics: list[str] = Field(
        default_factory=list,
        description=(
            "SensorThings MQTT topics with $select to serve, e.g. "
            '["v1.1/Observations?$select=result,phenomenonTime"] (an external broker does not tell the '
            "platform which topics clients subscribe to, so they are configured)."
        ),
    )
    city_profile: str = Field("gelsenkirchen", description="City profile name or path to a TOML file.")
    trusted_proxies: str = Field(
        "127.0.0.1,::1", description="Comma-separated proxy IPs whose X-Forwarded-* headers are honoured."
    )
    plugins: str | None = Field(
        None, description="Comma-separated allow-list of plugin names; empty means all installed."
    )
    disabled_plugins: str = Field("", description="Comma-separated plugin names not to load.")
    jobs_enabled: bool = Field(True, description="Run scheduled jobs inside the web server.")
    login_max_failures: int = Field(5, ge=1, description="Failed log-ins before the account locks.")
    login_lockout_minutes: int = Field(15, ge=1, description="How long a locked account stays locked.")
    session_hours: int = Field(12, ge=1, description="Lifetime of web sessions and API bearer tokens.")
    log_format: Literal["json", "text"] = Field("text", description="Structured JSON logs or plain text.")
    log_level: str = Field("INFO", description="Python logging level.")
    map_tile_url: str | None = Field(
        None,
        description="Background tile URL template ({z}/{x}/{y}); unset = plain background, works offline.",
    )
    map_tile_attribution: str = Field("", description="Attribution text the tile provider requires.")
    map_tile_max_zoom: int = Field(19, ge=1, le=22, description="Highest zoom level the tile server offers.")
    var_dir: Path = Field(Path("./var"), description="Where the embedded database and files live.")

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_scheme(cls, value: str) -> str:
        # Operators paste "postgres://" URLs from hosting panels; psycopg 3 needs an explicit driver.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the configured database is SQLite."""
        return self.database_url.startswith("sqlite")

    @property
    def plugin_allow_list(self) -> set[str] | None:
        """Return the plugin allow-list, or None when every installed plugin may load."""
        if not self.plugins:
            return None
        return {name.strip() for name in self.plugins.split(",") if name.strip()}

    @property
    def plugin_deny_list(self) -> set[str]:
        """Return the names of plugins that must not load."""
        return {name.strip() for name in self.disabled_plugins.split(",") if name.strip()}

    def problems(self) -> list[str]:
        """List every configuration problem, each as a sentence an operator can act on."""
        found: list[str] = []
        if self.env == "production":
            if not self.secret_key or self.secret_key == DEFAULT_SECRET:
                found.append(
                    "GELSENCLOUD_SECRET_KEY is empty or the development default; "
                    "set a random value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
                )
            elif len(self.secret_key) < MIN_SECRET_LENGTH:
                found.append(f"GELSENCLOUD_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters.")
            if self.is_sqlite:
                found.append(
                    "GELSENCLOUD_DATABASE_URL points to SQLite; production uses PostgreSQL "
                    "(postgresql+psycopg://user:password@host/db)."
                )
            if not self.base_url:
                found.append("GELSENCLOUD_BASE_URL is not set; absolute links will follow request headers.")
        elif not self.secret_key:
            found.append("GELSENCLOUD_SECRET_KEY is empty.")
        if not (self.is_sqlite or self.database_url.startswith("postgresql+psycopg://")):
            found.append(
                f"GELSENCLOUD_DATABASE_URL scheme not supported: {self.database_url.split(':', 1)[0]!r}; "
                "use sqlite:///path or postgresql+psycopg://."
            )
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            found.append("GELSENCLOUD_BASE_URL must start with http:// or https://.")
        if self.map_tile_url and not self.map_tile_url.startswith(("https://", "http://", "/")):
            found.append("GELSENCLOUD_MAP_TILE_URL must be an http(s) URL or a site path.")
        if self.mqtt_url and not self.mqtt_url.startswith(("mqtt://", "mqtts://")):
            found.append("GELSENCLOUD_MQTT_URL must start with mqtt:// or mqtts://.")
        for topic in self.sta_mqtt_select_topics:
            if not re.fullmatch(r"v1\.1/[A-Za-z]+\?\$select=[\w@.]+(,[\w@.]+)*", topic):
                found.append(
                    f"GELSENCLOUD_STA_MQTT_SELECT_TOPICS: {topic!r} is not of the form "
                    "v1.1/<EntitySet>?$select=a,b and is not served."
                )
        return found

    def fatal_problems(self) -> list[str]:
        """Return the problems that must stop the server from starting."""
        if self.env != "production":
            return [p for p in self.problems() if "is empty" in p or "not supported" in p]
        return [p for p in self.problems() if "BASE_URL is not set" not in p]


class ConfigurationError(RuntimeError):
    """Raised when the settings are unsafe or unusable."""


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()


def ensure_usable(settings: Settings) -> None:
    """Refuse to run with fatal configuration problems, explaining each."""
    fatal = settings.fatal_problems()
    if fatal:
        raise ConfigurationError("Configuration refused:\n- " + "\n- ".join(fatal))
