"""Batch requests: the OData JSON batch format (``{"requests": [...]}``) and OData 4.0 multipart/mixed.

Requests run in order in the caller's transaction; each atomicity group (JSON) or change set (multipart)
runs in a savepoint, so it is all-or-nothing while other requests keep their effects. ``$<id>`` at the
start of a URL refers to the entity created by an earlier request with that id (or Content-ID).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings.dispatch import Call, Result, dispatch
from gelsencloud.apis.sensorthings.errors import StaError, bad_request, error_body
from gelsencloud.core.classification import PermissionDenied

ROOT = "/sta/v1.1/"


def _relative(url: str, base: str, created: dict[str, str]) -> tuple[str, dict[str, str]]:
    match = re.match(r"^\$([A-Za-z0-9_.-]+)(.*)$", url)
    if match:
        if match.group(1) not in created:
            raise bad_request(f"unknown reference ${match.group(1)}")
        url = created[match.group(1)] + match.group(2)
    parts = urlsplit(url)
    path = parts.path
    if url.startswith(base):
        path = urlsplit(url[len(base) :]).path
    elif ROOT in path:
        path = path.split(ROOT, 1)[1]
    path = path.lstrip("/")
    return path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _run(session: Session, base: str, call: Call) -> Result:
    try:
        return dispatch(session, base, call)
    except PermissionDenied as exc:
        return Result(403, {"code": 403, "type": "error", "message": str(exc)})
    except Exception as exc:
        status, body = error_body(exc)
        return Result(status, body)


def _entity_link(result: Result) -> str | None:
    return result.headers.get("Location")


def run_json(session: Session, base: str, body: Any) -> dict[str, Any]:
    """Execute a JSON batch and return its JSON response document."""
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise bad_request('a JSON batch body is {"requests": [...]}')
    created: dict[str, str] = {}
    responses: list[dict[str, Any]] = []
    groups: dict[str, list[dict]] = {}
    order: list[tuple[str | None, Any]] = []
    for request in body["requests"]:
        if not isinstance(request, dict) or "method" not in request or "url" not in request:
            raise bad_request("each batch request needs 'method' and 'url'")
        group = request.get("atomicityGroup")
        if group is None:
            order.append((None, request))
        else:
            if group not in groups:
                order.append((group, None))
            groups.setdefault(group, []).append(request)
    for group, single in order:
        items = [single] if group is None else groups[group]
        savepoint = session.begin_nested()
        results = []
        failed = False
        for request in items:
            try:
                path, params = _relative(str(request["url"]), base, created)
            except StaError as exc:
                results.append((request, Result(exc.status, exc.to_dict())))
                failed = True
                continue
            headers = {k.lower(): v for k, v in (request.get("headers") or {}).items()}
            call = Call(
                request["method"],
                path,
                params,
                request.get("body"),
                headers.get("content-type", "application/json"),
            )
            result = _run(session, base, call)
            results.append((request, result))
            if result.status >= 400:
                failed = True
                if group is not None:
                    break
            elif request.get("id") is not None and _entity_link(result):
                created[str(request["id"])] = _entity_link(result)
        if failed:
            savepoint.rollback()
        else:
            savepoint.commit()
        if failed and group is not None:
            failures = {id(r): res for r, res in results if res.status >= 400}
            for request in items:
                result = failures.get(id(request))
                if result is None:  # rolled back with its group: "failed dependency"
                    responses.append({"id": request.get("id"), "status": 424})
                else:
                    responses.append({"id": request.get("id"), "status": result.status, "body": result.body})
            continue
        for request, result in results:
            entry: dict[str, Any] = {"id": request.get("id"), "status": result.status}
            if result.headers:
                entry["headers"] = {k.lower(): v for k, v in result.headers.items()}
            if result.body is not None:
                entry["body"] = result.body
            responses.append(entry)
    return {"responses": responses}


# ------------------------------------------------------------------------------------------------
# multipart/mixed (OData 4.0), the format STA 1.1 specifies
# ------------------------------------------------------------------------------------------------


def _boundary(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise bad_request("multipart/mixed batch without a boundary")
    return match.group(1)


def _parts(text: str, boundary: str) -> list[tuple[dict[str, str], str]]:
    chunks = re.split(r"(?:\r?\n)?--" + re.escape(boundary) + r"(?:--)?[ \t]*\r?\n?", text)
    parts = []
    for chunk in chunks:
        if not chunk.strip():
            continue
        head, body = _split_head(chunk)
        parts.append((head, body))
    return parts


def _split_head(chunk: str) -> tuple[dict[str, str], str]:
    match = re.search(r"\r?\n\r?\n", chunk)
    if not match:
        return _headers(chunk), ""
    return _headers(chunk[: match.start()]), chunk[match.end() :]


def _headers(block: str) -> dict[str, str]:
    headers = {}
    for line in block.splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    return headers


def _http_request(text: str) -> tuple[str, str, dict[str, str], str]:
    match = re.search(r"\r?\n\r?\n", text)
    head, body = (text[: match.start()], text[match.end() :]) if match else (text, "")
    lines = head.splitlines()
    method, url = lines[0].split()[:2]
    return method, url, _headers("\n".join(lines[1:])), body.strip()


def _http_response(result: Result, content_id: str | None) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"HTTP/1.1 {result.status} {'OK' if result.status < 400 else 'Error'}"]
    for key, value in result.headers.items():
        lines.append(f"{key}: {value}")
    payload = ""
    if result.body is not None:
        payload = result.body if result.text else json.dumps(result.body)
        lines.append("Content-Type: application/json")
    lines += ["", payload]
    return "\r\n".join(lines)


def run_multipart(session: Session, base: str, content_type: str, text: str) -> tuple[str, str]:
    """Execute a multipart/mixed batch; return (content type, body) of the multipart response."""
    created: dict[str, str] = {}
    out_boundary = "batchresponse_" + uuid.uuid4().hex
    out: list[str] = []
    for headers, body in _parts(text, _boundary(content_type)):
        part_type = headers.get("content-type", "")
        if part_type.startswith("multipart/mixed"):
            out.append(_changeset(session, base, part_type, body, created))
            continue
        method, url, req_headers, payload = _http_request(body)
        out.append(_http_response(_execute(session, base, method, url, req_headers, payload, created), None))
    body = "".join(f"--{out_boundary}\r\n{part}\r\n" for part in out) + f"--{out_boundary}--\r\n"
    return f"multipart/mixed; boundary={out_boundary}", body


def _execute(session, base, method, url, headers, payload, created) -> Result:
    try:
        path, params = _relative(url, base, created)
        data = json.loads(payload) if payload else None
    except (StaError, ValueError) as exc:
        message = exc.message if isinstance(exc, StaError) else f"invalid JSON: {exc}"
        return Result(400, {"code": 400, "type": "error", "message": message})
    return _run(
        session, base, Call(method, path, params, data, headers.get("content-type", "application/json"))
    )


def _changeset(session, base, content_type: str, text: str, created: dict[str, str]) -> str:
    boundary = "changesetresponse_" + uuid.uuid4().hex
    savepoint = session.begin_nested()
    rendered = []
    for headers, body in _parts(text, _boundary(content_type)):
        method, url, req_headers, payload = _http_request(body)
        result = _execute(session, base, method, url, req_headers, payload, created)
        content_id = headers.get("content-id")
        if result.status >= 400:
            savepoint.rollback()
            return _http_response(result, content_id)  # a failed change set answers with its error only
        if content_id and result.headers.get("Location"):
            created[content_id] = result.headers["Location"]
        rendered.append(_http_response(result, content_id))
    savepoint.commit()
    inner = "".join(f"--{boundary}\r\n{part}\r\n" for part in rendered) + f"--{boundary}--"
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}"
