"""The gelsencloud command line, run as an operator would (in a subprocess, with env settings)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(args: list[str], env: dict[str, str], input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gelsencloud.cli", *args],
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {
        "GELSENCLOUD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "GELSENCLOUD_SECRET_KEY": "x" * 40,
    }


def test_admin_workflow_from_the_shell(env):
    assert run(["db", "upgrade"], env).returncode == 0
    assert run(["db", "current"], env).stdout.count("up to date") == 1
    assert run(["tenants", "create", "gelsen-net", "GELSEN-NET"], env).returncode == 0
    duplicate = run(["tenants", "create", "gelsen-net", "again"], env)
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr
    created = run(
        [
            "users",
            "create",
            "anna",
            "--tenant",
            "gelsen-net",
            "--role",
            "editor",
            "--password",
            "a-good-password",
        ],
        env,
    )
    assert created.returncode == 0, created.stderr
    bad_role = run(
        [
            "users",
            "create",
            "bob",
            "--tenant",
            "gelsen-net",
            "--role",
            "boss",
            "--password",
            "a-good-password",
        ],
        env,
    )
    assert bad_role.returncode == 1 and "unknown role 'boss'" in bad_role.stderr
    prompted = run(
        ["users", "create", "carl", "--tenant", "gelsen-net"], env, input="a-good-password\na-good-password\n"
    )
    assert prompted.returncode == 0, prompted.stderr
    assert "anna" in run(["users", "list"], env).stdout
    key = run(["apikeys", "create", "--tenant", "gelsen-net", "--role", "operator", "--name", "lns"], env)
    assert key.returncode == 0
    secret = key.stdout.strip().splitlines()[-1]
    assert secret.startswith("gck_")
    prefix = secret.split("_")[1]
    assert prefix in run(["apikeys", "list"], env).stdout
    assert run(["apikeys", "revoke", prefix], env).returncode == 0
    assert run(["apikeys", "revoke", "nope0000"], env).returncode == 1
    assert run(["db", "downgrade", "base"], env).returncode == 0
    assert run(["db", "current"], env).returncode == 1


def test_config_show_masks_secrets_and_validate_explains(env):
    shown = run(["config", "show"], env)
    assert (
        shown.returncode == 0 and "GELSENCLOUD_DATABASE_URL" in shown.stdout and "x" * 40 not in shown.stdout
    )
    prod = {**env, "GELSENCLOUD_ENV": "production", "GELSENCLOUD_SECRET_KEY": ""}
    result = run(["config", "validate"], prod)
    assert result.returncode == 1
    assert "GELSENCLOUD_SECRET_KEY is empty or the development default" in result.stdout
    assert "points to SQLite" in result.stdout
    refused = run(["db", "upgrade"], prod)
    assert refused.returncode == 2 and "Configuration refused" in refused.stderr
    typo = run(["config", "validate"], {**env, "GELSENCLOUD_ENV": "staging"})
    assert typo.returncode == 2 and "GELSENCLOUD_ENV" in typo.stderr


def test_demo_builds_without_serving(env):
    result = run(["demo", "--no-serve", "--days", "1"], env)
    assert result.returncode == 0, result.stderr
    assert "admin / gelsencloud-demo" in result.stdout and "http://127.0.0.1:8000/" in result.stdout
    again = run(["demo", "--no-serve", "--days", "1"], env)
    assert "exists already" in again.stdout
    assert "Buer" in run(["city", "show"], env).stdout
    refused = run(
        ["demo", "--no-serve"],
        {
            **env,
            "GELSENCLOUD_ENV": "production",
            "GELSENCLOUD_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/x",
        },
    )
    assert refused.returncode != 0
