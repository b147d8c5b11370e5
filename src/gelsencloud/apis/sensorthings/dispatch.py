"""One STA request (method, path, query, body) to one response; shared by the routes and $batch."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings import dataarray, extensions
from gelsencloud.apis.sensorthings.errors import StaError, bad_request
from gelsencloud.apis.sensorthings.query import QueryOptions, ResultFormat, parse_query_options
from gelsencloud.apis.sensorthings.resource import Resource, resolve
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES, inverse
from gelsencloud.apis.sensorthings.serialize import prop_value, self_link
from gelsencloud.apis.sensorthings.service.read import (
    MAX_TOP,
    ReadContext,
    check_no_options,
    collection_encoded,
    collection_json,
    entity_json,
    fetch,
    next_link,
)
from gelsencloud.apis.sensorthings.service.write import Writer, apply_json_patch
from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.principal import WRITER_ROLES

JSON_PATCH = "application/json-patch+json"


@dataclass
class Call:
    """A request to the service: ``path`` is relative to the service root (``Things(1)``)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content_type: str = "application/json"
    encoded: bool = False  # the caller takes a collection's body as encoded JSON bytes (HTTP, not $batch)


@dataclass
class Result:
    """A response: JSON body (or text for $value; bytes of encoded JSON if the call allowed it), status
    and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: bool = False


def require_writer(session: Session) -> None:
    """Refuse writes by anonymous callers (401) and by callers without a writer role (403)."""
    principal = principal_of(session)
    if principal.is_system:
        return
    if principal.is_anonymous:
        raise PermissionDenied("authentication required to change SensorThings data")
    if principal.role not in WRITER_ROLES:
        raise PermissionDenied(f"{principal.name} has no writer role")


def dispatch(session: Session, base: str, call: Call) -> Result:
    """Execute one call inside the session's transaction."""
    ctx = ReadContext(session, base)
    method = call.method.upper()
    if method == "GET":
        return _get(ctx, call)
    require_writer(session)
    if method == "POST" and call.path.strip("/") == "CreateObservations":
        return Result(201, dataarray.create_observations(session, base, call.body))
    if method == "DELETE" and "/" not in call.path.strip("/") and "(" not in call.path:
        raise StaError(405, "DELETE on a whole entity set is not supported")
    resource = resolve(ctx, call.path)
    writer = Writer(session)
    if method == "POST":
        return _post(ctx, writer, resource, call)
    if resource.kind != "entity" or resource.ref:
        raise StaError(405, f"{method} needs the path of one entity, e.g. Things(1)")
    etype, obj = resource.etype, resource.obj
    if method == "DELETE":
        writer.delete(obj)
        return Result(200)
    if method == "PATCH" and call.content_type.startswith(JSON_PATCH):
        current = {name: prop_value(prop, obj) for name, prop in etype.props.items() if not prop.read_only}
        patched = apply_json_patch(current, call.body)
        writer.update(etype, obj, patched, replace=True)
    elif method in ("PATCH", "PUT"):
        writer.update(etype, obj, call.body, replace=method == "PUT")
    else:
        raise StaError(405, f"method {method} not allowed")
    session.expire(obj)
    return Result(200, entity_json(ctx, etype, obj, QueryOptions()))


_UPPER_DIRECTION = re.compile(r"\s(ASC|DESC)\s*(?=,|$)")


def _options(call: Call) -> QueryOptions:
    params = {key: value for key, value in call.params.items() if key.startswith("$")}
    if "$orderby" in params:
        # frost-sta-client sends "result ASC"; FROST accepts it, so be lenient with the direction only.
        params["$orderby"] = _UPPER_DIRECTION.sub(lambda m: " " + m.group(1).lower(), params["$orderby"])
    if sum(len(value) for value in params.values()) > 2_000:  # keep the cache small: long queries parse anew
        return parse_query_options(params, max_top=MAX_TOP)
    return _parsed(tuple(sorted(params.items())))


@lru_cache(maxsize=512)
def _parsed(params: tuple[tuple[str, str], ...]) -> QueryOptions:
    """Parsed query options; dashboards poll the same URLs, and the parsed options are immutable."""
    return parse_query_options(dict(params), max_top=MAX_TOP)


def _get(ctx: ReadContext, call: Call) -> Result:
    options = _options(call)
    resource = resolve(ctx, call.path)
    url = f"{ctx.base}/{resource.path}"
    if resource.kind == "set":
        if options.result_format == ResultFormat.DATA_ARRAY:
            if resource.etype.name != "Observation":
                raise bad_request("$resultFormat=dataArray applies to Observations only")
            return Result(200, dataarray.read(ctx, options, resource.where, url))
        page = fetch(ctx, resource.etype, options, resource.where, raw=not resource.ref)
        if resource.ref:
            body: dict[str, Any] = {}
            if page.count is not None:
                body["@iot.count"] = page.count
            body["value"] = [{"@iot.selfLink": self_link(ctx.base, resource.etype, o.id)} for o in page.items]
            following = next_link(url + "/$ref", options, page)
            if following:
                body["@iot.nextLink"] = following
            return Result(200, body)
        if call.encoded:
            return Result(200, collection_encoded(ctx, resource.etype, page, options, url))
        return Result(200, collection_json(ctx, resource.etype, page, options, url))
    if resource.kind == "aggregate":
        parent = resource.parent
        stream_id = parent[1].id if parent is not None and parent[0].name == "Datastream" else None
        return Result(
            200, extensions.aggregate(ctx, resource.where, options, call.params, datastream_id=stream_id)
        )
    check_no_options(options, "a single entity")
    if resource.kind == "entity":
        if resource.ref:
            return Result(200, {"@iot.selfLink": self_link(ctx.base, resource.etype, resource.obj.id)})
        return Result(200, entity_json(ctx, resource.etype, resource.obj, options))
    value = prop_value(resource.etype.props[resource.prop], resource.obj)
    if resource.kind == "property":
        return Result(200, {resource.prop: value})
    if value is None:
        return Result(204)
    return Result(200, value if isinstance(value, str) else json.dumps(value), text=True)


def _post(ctx: ReadContext, writer: Writer, resource: Resource, call: Call) -> Result:
    if resource.kind != "set" or resource.ref:
        raise StaError(
            405, "POST to an entity set or a navigation collection, e.g. Things or Things(1)/Datastreams"
        )
    body = call.body
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    etype = resource.etype
    if resource.parent is not None:
        parent_type, parent, nav = resource.parent
        back = inverse(nav, parent_type)
        if back is None:
            raise bad_request(f"cannot create {etype.set_name} under {parent_type.name}")
        body = dict(body)
        if back.many:
            body[back.name] = [*body.get(back.name, []), {"@iot.id": parent.id}]
        else:
            body[back.name] = {"@iot.id": parent.id}
    obj = writer.create(etype, body)
    location = self_link(ctx.base, etype, obj.id)
    return Result(
        201, entity_json(ctx, ENTITY_TYPES[etype.name], obj, QueryOptions()), {"Location": location}
    )
