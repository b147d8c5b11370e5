"""Log-in, lock-out, log-out, bearer tokens, API keys (Bearer, X-API-Key, Basic) and roles."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from gelsencloud.core import identity
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.models import ApiKey, User
from gelsencloud.core.principal import SYSTEM, Principal, Role
from gelsencloud.core.security import hash_password, verify_password
from helpers import PASSWORD, auth


def login(client, username: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_passwords_are_argon2_hashed_and_checked():
    stored = hash_password("a long enough secret")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a long enough secret")
    assert not verify_password(stored, "a long enough secreT")
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")


@pytest.mark.usefixtures("backend")
def test_bearer_token_login_me_and_logout(client, world):
    response = login(client, "city.editor")
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert response.json()["token_type"] == "bearer"
    me = client.get("/api/v1/auth/me", headers=auth(token))
    assert me.status_code == 200 and me.json()["name"] == "city.editor" and me.json()["role"] == "editor"
    assert client.post("/api/v1/auth/logout", headers=auth(token)).status_code == 204
    after = client.get("/api/v1/auth/me", headers=auth(token))
    assert after.status_code == 401 and "invalid or expired" in after.json()["error"]["message"]


def test_lockout_after_repeated_failures(client, world, db):
    for _ in range(3):  # settings fixture: login_max_failures=3
        assert login(client, "city.viewer", "wrong password!").status_code == 401
    locked = login(client, "city.viewer")  # right password, but locked now
    assert locked.status_code == 401 and "gesperrt" in locked.json()["error"]["message"]
    with db.transaction(SYSTEM) as session:
        user = session.get(User, world.users["city.viewer"])
        assert user.locked_until > datetime.now(UTC)
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # time passes
    assert login(client, "city.viewer").status_code == 200


def test_unknown_user_and_wrong_password_look_the_same(client, world):
    a = login(client, "nobody-here", "whatever-password")
    b = login(client, "city.viewer", "whatever-password")
    assert a.status_code == b.status_code == 401
    assert a.json()["error"]["message"] == b.json()["error"]["message"]


@pytest.mark.usefixtures("backend")
def test_api_key_headers_basic_auth_and_revocation(client, world, db):
    key = world.keys["net.operator"]
    assert client.get("/api/v1/auth/me", headers=auth(key)).json()["role"] == "operator"
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 200
    basic_key = base64.b64encode(f"anything:{key}".encode()).decode()
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Basic {basic_key}"}).status_code == 200
    basic_pw = base64.b64encode(f"city.editor:{PASSWORD}".encode()).decode()
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Basic {basic_pw}"}).json()["name"]
        == "city.editor"
    )
    prefix = key.split("_")[1]
    revoked = client.delete(f"/api/v1/apikeys/{prefix}", headers=auth(world.keys["net.admin"]))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = client.get("/api/v1/auth/me", headers=auth(key))
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    tampered = key[:-2] + ("AA" if not key.endswith("AA") else "BB")
    assert client.get("/api/v1/auth/me", headers=auth(tampered)).status_code == 401


def test_keys_are_stored_hashed_and_shown_once(client, world, db):
    response = client.post(
        "/api/v1/apikeys",
        json={"tenant": "gelsen-net", "role": "viewer", "name": "dashboard"},
        headers=auth(world.keys["net.admin"]),
    )
    assert response.status_code == 201
    secret = response.json()["key"]
    listed = client.get("/api/v1/apikeys", headers=auth(world.keys["net.admin"])).json()
    assert all(entry["key"] is None for entry in listed)
    with db.transaction(SYSTEM) as session:
        stored = [k.key_hash for k in session.query(ApiKey)]
    assert secret not in stored and all(len(h) == 64 for h in stored)


def test_expired_key_is_refused(db, world, client):
    with db.transaction(SYSTEM) as session:
        issued = identity.create_api_key(
            session,
            tenant=identity.get_tenant(session, "gelsen-net"),
            role="viewer",
            name="old",
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
    assert client.get("/api/v1/auth/me", headers=auth(issued.key)).status_code == 401


def test_tenant_admins_manage_only_their_tenant(client, world):
    body = {
        "username": "net.new",
        "password": "another-good-password",
        "tenant": "gelsen-net",
        "role": "editor",
    }
    assert client.post("/api/v1/users", json=body, headers=auth(world.keys["city.admin"])).status_code == 403
    created = client.post("/api/v1/users", json=body, headers=auth(world.keys["net.admin"]))
    assert created.status_code == 201 and created.json()["tenant_id"] == world.tenants["gelsen-net"]
    escalate = dict(body, username="net.boss", role="platform_admin")
    assert (
        client.post("/api/v1/users", json=escalate, headers=auth(world.keys["net.admin"])).status_code == 403
    )
    assert client.post("/api/v1/users", json=body, headers=auth(world.keys["city.editor"])).status_code == 403
    assert (
        client.post(
            "/api/v1/tenants", json={"slug": "x-gmbh", "name": "X"}, headers=auth(world.keys["net.admin"])
        ).status_code
        == 403
    )
    listed = client.get("/api/v1/users", headers=auth(world.keys["net.admin"])).json()
    assert {u["tenant_id"] for u in listed} == {world.tenants["gelsen-net"]}


def test_bad_input_gets_clear_errors(client, world):
    admin = auth(world.keys["net.admin"])
    weak = client.post(
        "/api/v1/users",
        json={"username": "a", "password": "short", "tenant": "gelsen-net", "role": "viewer"},
        headers=admin,
    )
    assert weak.status_code == 422 and "password" in weak.json()["error"]["message"]
    role = client.post(
        "/api/v1/apikeys", json={"tenant": "gelsen-net", "role": "king", "name": "x"}, headers=admin
    )
    assert role.status_code == 400 and "unknown role 'king'" in role.json()["error"]["message"]
    tenant = client.post(
        "/api/v1/apikeys", json={"tenant": "nowhere", "role": "viewer", "name": "x"}, headers=admin
    )
    assert tenant.status_code == 404 and "nowhere" in tenant.json()["error"]["message"]


def test_service_layer_refuses_without_rights(db, world):
    viewer = Principal(kind="user", tenant_id=world.tenants["gelsen-net"], role=Role.VIEWER, name="v")
    with pytest.raises(PermissionDenied):
        with db.transaction(viewer) as session:
            identity.create_api_key(
                session, tenant=identity.get_tenant(session, "gelsen-net"), role="viewer", name="x"
            )


@pytest.mark.usefixtures("backend")
def test_resolved_api_keys_are_cached_briefly_and_forgotten_on_revocation(db, world, monkeypatch):
    with db.transaction(SYSTEM) as session:
        tenant = identity.get_tenant(session, "gelsen-net")
        issued = identity.create_api_key(session, tenant=tenant, role="operator", name="cache")
        prefix = issued.record.prefix
        soon = identity.create_api_key(
            session,
            tenant=tenant,
            role="operator",
            name="short",
            expires_at=datetime.now(UTC) + timedelta(seconds=2),
        )
    assert identity.cached_api_key(issued.key) is None
    with db.transaction(SYSTEM) as session:
        principal = identity.resolve_api_key(session, issued.key)
        assert identity.resolve_api_key(session, soon.key) is not None
    assert identity.cached_api_key(issued.key) == principal  # no database needed within the TTL
    assert identity.cached_api_key(issued.key + "x") is None  # a wrong key is never served from the cache
    with db.transaction(SYSTEM) as session:
        identity.revoke_api_key(session, prefix)
    assert identity.cached_api_key(issued.key) is None
    with db.transaction(SYSTEM) as session:
        assert identity.resolve_api_key(session, issued.key) is None
    # The cache never outlives a key's expiry.
    now = identity.time.monotonic()
    monkeypatch.setattr(identity.time, "monotonic", lambda: now + 3)
    assert identity.cached_api_key(soon.key) is None
