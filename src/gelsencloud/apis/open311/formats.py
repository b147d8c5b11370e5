"""Serialise GeoReport v2 documents as XML (required) and JSON (the "Spark convention")."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import Response

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MIME_TYPES = ["text/xml", "application/json"]
LOCAL = ZoneInfo("Europe/Berlin")
# List containers and the element name of their items.
SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "photos": "photo",
    "endpoints": "endpoint",
    "formats": "format",
}


def w3c(value: datetime | None) -> str | None:
    """Format a timestamp as W3C/ISO 8601 with the local offset (a timezone is mandatory)."""
    return value.astimezone(LOCAL).isoformat(timespec="seconds") if value else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, key: str, value: Any) -> None:
    if isinstance(value, list) and key not in SINGULAR:
        for item in value:  # repeated simple values, e.g. a multivaluelist attribute's <value>s
            ET.SubElement(element, key).text = _text(item)
        return
    child = ET.SubElement(element, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(child, k, v)
    elif isinstance(value, list):
        for item in value:
            _fill(child, SINGULAR[key], item)
    else:
        child.text = _text(value)


def to_xml(root: str, item: str | None, payload: Any) -> bytes:
    """Build ``<root>`` from a dict, or ``<root><item/>…</root>`` from a list of dicts."""
    element = ET.Element(root)
    if item is None:
        for k, v in payload.items():
            _fill(element, k, v)
    else:
        for entry in payload:
            _fill(element, item, entry)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def respond(
    fmt: str, root: str, item: str | None, payload: Any, status: int = 200, headers: dict | None = None
) -> Response:
    """Answer in the requested format."""
    if fmt == "json":
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    else:
        body = to_xml(root, item, payload)
    return Response(body, status_code=status, media_type=FORMATS[fmt], headers=headers)
