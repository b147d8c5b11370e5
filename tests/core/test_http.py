"""Service basics: health, readiness, request IDs, proxy headers, JSON errors, OpenAPI."""

from __future__ import annotations

from fastapi import Request
from fastapi.testclient import TestClient

from gelsencloud.core.app import create_app
from gelsencloud.core.db import Database
from gelsencloud.core.http import absolute_url
from helpers import auth


def test_health_and_readiness(client):
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_readiness_reports_pending_migrations_and_unreachable_database(
    settings, empty_db, registry, tmp_path
):
    with TestClient(create_app(settings, empty_db, registry, run_jobs=False)) as client:
        body = client.get("/readyz")
        assert body.status_code == 503 and "pending" in body.json()["checks"]["migrations"]
    broken = settings.model_copy(update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    with TestClient(create_app(broken, Database(broken.database_url), registry, run_jobs=False)) as client:
        body = client.get("/readyz")
        assert body.status_code == 503 and body.json()["checks"]["database"].startswith("unreachable")


def test_request_ids_are_generated_or_kept(client):
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123-xyz"}).headers["x-request-id"]
        == "abc-123-xyz"
    )
    assert client.get("/healthz", headers={"X-Request-ID": "x"}).headers["x-request-id"] != "x"


def test_errors_are_consistent_json(client, world):
    missing = client.get("/api/v1/example/notices/999999")
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["code"] == "not_found" and "999999" in error["message"] and error["request_id"]
    invalid = client.get("/api/v1/example/notices/abc")
    assert invalid.status_code == 422 and "notice_id" in invalid.json()["error"]["message"]
    body = client.post(
        "/api/v1/example/notices", json={"title": ""}, headers=auth(world.keys["net.operator"])
    )
    assert body.status_code == 422 and "title" in body.json()["error"]["message"]
    anonymous = client.post("/api/v1/example/notices", json={"title": "x"})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")


def test_forwarded_headers_only_from_trusted_proxies(app):
    seen = {}

    @app.get("/_probe")
    def probe(request: Request):
        seen["url"] = absolute_url(request, "/sta/v1.1")
        return {}

    with TestClient(app, client=("127.0.0.1", 40000)) as proxied:
        proxied.get(
            "/_probe",
            headers={
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "daten.gelsenkirchen.de",
                "X-Forwarded-Prefix": "/gc",
            },
        )
        assert seen["url"] == "https://daten.gelsenkirchen.de/gc/sta/v1.1"
    with TestClient(app, client=("203.0.113.9", 40000)) as direct:
        direct.get("/_probe", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
        assert seen["url"] == "http://testserver/sta/v1.1"
    app.state.settings = app.state.settings.model_copy(update={"base_url": "https://data.gelsenkirchen.de/"})
    with TestClient(app) as plain:
        plain.get("/_probe")
        assert seen["url"] == "https://data.gelsenkirchen.de/sta/v1.1"


def test_openapi_docs(client):
    assert client.get("/api/docs").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "GELSENcloud"
    assert {"/healthz", "/readyz", "/api/v1/auth/token", "/api/v1/apikeys", "/api/v1/audit"} <= set(
        spec["paths"]
    )
