"""Every write is audited with who, when, what and tenant; admins can query it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gelsencloud.apps.example.models import Notice
from gelsencloud.core.models import AuditEntry
from gelsencloud.core.principal import SYSTEM, Principal, Role
from helpers import auth


@pytest.mark.usefixtures("backend")
def test_create_update_delete_are_recorded(db, world):
    editor = Principal(
        kind="user", tenant_id=world.tenants["gelsen-net"], role=Role.EDITOR, user_id=42, name="ed"
    )
    with db.transaction(editor) as session:
        notice = Notice(title="Baustelle", classification="public")
        session.add(notice)
        session.flush()
        notice_id = notice.id
    with db.transaction(editor) as session:
        session.get(Notice, notice_id).title = "Baustelle beendet"
    with db.transaction(editor) as session:
        session.delete(session.get(Notice, notice_id))
    with db.transaction(SYSTEM) as session:
        rows = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "example_notices").order_by(AuditEntry.id)
            )
        )
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(
        r.actor_name == "ed" and r.user_id == 42 and r.tenant_id == world.tenants["gelsen-net"] for r in rows
    )
    assert all(r.entity_id == str(notice_id) for r in rows)
    assert rows[0].changes["title"] == "Baustelle"
    assert rows[1].changes == {"title": "Baustelle beendet"}


def test_personal_values_and_secrets_never_reach_the_log(db, world):
    with db.transaction(SYSTEM) as session:
        session.add(
            Notice(
                tenant_id=world.tenants["gelsen-net"],
                title="Max Mustermann, Tel 0209",
                classification="personal",
            )
        )
    with db.transaction(SYSTEM) as session:
        entries = list(session.scalars(select(AuditEntry)))
    text = repr([e.changes for e in entries])
    assert "Mustermann" not in text
    assert "$argon2" not in text and "key_hash" not in text.replace("'key_hash': '(changed)'", "")


def test_audit_api_is_for_admins_and_scoped_to_the_tenant(client, world):
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit", headers=auth(world.keys["city.editor"])).status_code == 403
    net = client.get("/api/v1/audit", headers=auth(world.keys["net.admin"]))
    assert net.status_code == 200 and net.json()
    assert {e["tenant_id"] for e in net.json()} == {world.tenants["gelsen-net"]}
    city_users = client.get("/api/v1/audit?entity=users", headers=auth(world.keys["city.admin"])).json()
    assert city_users and {e["entity"] for e in city_users} == {"users"}


def test_request_id_links_audit_rows_to_requests(client, world, db):
    response = client.post(
        "/api/v1/example/notices",
        json={"title": "Straßenfest"},
        headers={**auth(world.keys["net.operator"]), "X-Request-ID": "req-0123456789"},
    )
    assert response.status_code == 201 and response.headers["x-request-id"] == "req-0123456789"
    with db.transaction(SYSTEM) as session:
        row = session.scalar(select(AuditEntry).where(AuditEntry.entity == "example_notices"))
    assert row.request_id == "req-0123456789" and row.actor_kind == "apikey"
