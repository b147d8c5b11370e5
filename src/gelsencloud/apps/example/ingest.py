"""MQTT ingestion of the example application: JSON notices published by a tenant's system."""

from __future__ import annotations

import json
import logging

from gelsencloud.apps.example.service import create_notice
from gelsencloud.core.identity import InvalidInput, get_tenant
from gelsencloud.core.principal import Principal, Role

LOGGER = logging.getLogger(__name__)


def handle_message(topic: str, payload: bytes, db) -> None:
    """Create a notice from ``gelsencloud/example/notices/<tenant-slug>`` with a JSON body."""
    tenant_slug = topic.rsplit("/", 1)[-1]
    try:
        data = json.loads(payload)
        title = str(data["title"])
    except (ValueError, KeyError, TypeError):
        LOGGER.warning("ignored malformed notice on %s", topic)
        return
    with db.transaction(Principal(kind="system", name="mqtt")) as session:
        tenant = get_tenant(session, tenant_slug)
        session.info["principal"] = Principal(
            kind="apikey", tenant_id=tenant.id, role=Role.OPERATOR, name=f"mqtt:{topic}"
        )
        try:
            create_notice(session, title=title, body=str(data.get("body", "")), classification="public")
        except InvalidInput as exc:
            LOGGER.warning("ignored invalid notice on %s: %s", topic, exc)
