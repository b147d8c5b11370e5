"""Audit log: every ORM write is recorded in the same transaction as the write itself."""

from __future__ import annotations

import contextvars
import json
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.models import AuditEntry, Classified, utcnow
from gelsencloud.core.principal import Principal

# Set by the request middleware so audit rows can be traced back to a request.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def _audited(obj: object) -> bool:
    return getattr(type(obj), "__audit__", True)


def _identity(obj: object) -> str | None:
    # Works for rows just inserted too: their identity key is only set after the flush.
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    if not ident or any(part is None for part in ident):
        return None
    return ",".join(str(part) for part in ident)


_PLAIN = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        try:
            json.dumps(value)
            return value
        except TypeError:
            return str(value)
    return str(value)


def _changes(obj: object, action: str) -> dict[str, Any]:
    """Describe what changed; personal records only name the fields, never their values."""
    if action == "delete":
        return {}
    cls = type(obj)
    excluded = getattr(cls, "__audit_exclude__", ())
    ignored = getattr(cls, "__audit_ignore__", ())
    hide_values = isinstance(obj, Classified) and obj.classification == "personal"
    state = inspect(obj)
    values = state.dict
    changes: dict[str, Any] = {}
    columns = state.mapper.column_attrs
    # For an update only the attributes set since the last flush can have changed (committed_state);
    # testing the history of every column of every dirty row cost more than the flush itself.
    keys = [k for k in state.committed_state if k in columns] if action == "update" else columns.keys()
    for key in keys:
        if key in ignored:
            continue
        if action == "update" and not state.attrs[key].history.has_changes():
            continue
        if key in excluded:
            if action == "update":
                changes[key] = "(changed)"
            continue
        changes[key] = "(personal)" if hide_values else _jsonable(values.get(key))
    return changes


def _tenant_of(obj: object) -> int | None:
    tenant = getattr(obj, "tenant_id", None)
    if tenant is None and type(obj).__name__ == "Tenant":
        tenant = getattr(obj, "id", None)
    return tenant


@event.listens_for(Session, "after_flush")
def _record_writes(session: Session, _context) -> None:
    principal = principal_of(session)
    rows: list[dict[str, Any]] = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not _audited(obj):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(_row(principal, action, obj, changes))
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def _row(principal: Principal, action: str, obj: object, changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor_kind": principal.kind,
        "actor_name": principal.name,
        "user_id": principal.user_id,
        "api_key_id": principal.api_key_id,
        "tenant_id": _tenant_of(obj),
        "action": action,
        "entity": type(obj).__tablename__,
        "entity_id": _identity(obj),
        "changes": changes or None,
        "request_id": current_request_id.get(),
    }


def record(session: Session, action: str, entity: str, entity_id: str | None = None, **details: Any) -> None:
    """Record an event that is not a row change (log-in, bulk import, key revocation...)."""
    principal = principal_of(session)
    session.connection().execute(
        insert(AuditEntry),
        [
            {
                "at": utcnow(),
                "actor_kind": principal.kind,
                "actor_name": principal.name,
                "user_id": principal.user_id,
                "api_key_id": principal.api_key_id,
                "tenant_id": details.pop("tenant_id", principal.tenant_id),
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "changes": {k: _jsonable(v) for k, v in details.items()} or None,
                "request_id": current_request_id.get(),
            }
        ],
    )


def query(
    session: Session,
    *,
    tenant_id: int | None = None,
    entity: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Return audit entries visible to the session's principal, newest first."""
    principal = principal_of(session)
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(min(limit, 1000))
    if not principal.is_platform_admin:
        if principal.role != "tenant_admin":
            raise PermissionDenied("only administrators may read the audit log")
        stmt = stmt.where(AuditEntry.tenant_id == principal.tenant_id)
    if tenant_id is not None:
        stmt = stmt.where(AuditEntry.tenant_id == tenant_id)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if before_id:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(session.scalars(stmt))
