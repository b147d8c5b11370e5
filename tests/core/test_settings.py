"""The typed settings object and its production checks."""

from __future__ import annotations

import pytest

from gelsencloud.core.app import create_app
from gelsencloud.core.settings import ConfigurationError, Settings


def test_defaults_and_env_prefix(monkeypatch):
    monkeypatch.setenv("GELSENCLOUD_BASE_URL", "https://daten.gelsenkirchen.de")
    monkeypatch.setenv("GELSENCLOUD_DATABASE_URL", "postgres://gc@db/gc")
    current = Settings(_env_file=None)
    assert current.env == "development" and current.base_url == "https://daten.gelsenkirchen.de"
    assert current.database_url == "postgresql+psycopg://gc@db/gc"


def test_production_refuses_default_or_short_secrets():
    base = dict(
        _env_file=None,
        env="production",
        database_url="postgresql+psycopg://gc@db/gc",
        base_url="https://x.de",
    )
    assert "development default" in " ".join(Settings(**base).fatal_problems())
    assert "shorter than 32" in " ".join(Settings(**base, secret_key="tooshort").fatal_problems())
    assert Settings(**base, secret_key="s" * 40).fatal_problems() == []
    with pytest.raises(ConfigurationError, match="GELSENCLOUD_SECRET_KEY"):
        create_app(Settings(**base))


def test_invalid_urls_are_explained():
    problems = Settings(
        _env_file=None, database_url="mysql://x", mqtt_url="tcp://x", base_url="ftp://x"
    ).problems()
    joined = " ".join(problems)
    assert "scheme not supported" in joined and "MQTT_URL" in joined and "BASE_URL" in joined
