"""The Data Array extension: ``$resultFormat=dataArray`` reads and ``POST CreateObservations``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings.errors import StaError, bad_request
from gelsencloud.apis.sensorthings.query import QueryOptions
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES
from gelsencloud.apis.sensorthings.serialize import prop_value, self_link
from gelsencloud.core.classification import PermissionDenied

DEFAULT_COMPONENTS = ("id", "phenomenonTime", "resultTime", "result")
READABLE = {"id", "phenomenonTime", "resultTime", "result", "resultQuality", "validTime", "parameters"}
WRITABLE = {
    "phenomenonTime",
    "resultTime",
    "result",
    "resultQuality",
    "validTime",
    "parameters",
    "FeatureOfInterest/id",
}


def read(ctx, options: QueryOptions, where: list, url: str) -> dict[str, Any]:
    """Return Observations grouped per (Multi)Datastream as component lists and value arrays."""
    from gelsencloud.apis.sensorthings.service.read import fetch, next_link

    observation = ENTITY_TYPES["Observation"]
    components = list(DEFAULT_COMPONENTS)
    if options.select is not None:
        components = ["/".join(p.segments) for p in options.select]
        unknown = [c for c in components if c not in READABLE]
        if unknown:
            raise bad_request(f"$select with dataArray: unknown component '{unknown[0]}'")
    page = fetch(
        ctx,
        observation,
        QueryOptions(
            filter=options.filter,
            orderby=options.orderby,
            top=options.top,
            skip=options.skip,
            count=options.count,
        ),
        where,
    )
    groups: dict[tuple[str, int], list] = {}
    for obs in page.items:
        key = (
            ("Datastreams", obs.datastream_id)
            if obs.datastream_id
            else ("MultiDatastreams", obs.multi_datastream_id)
        )
        row = [obs.id if c == "id" else prop_value(observation.props[c], obs) for c in components]
        groups.setdefault(key, []).append(row)
    value = []
    for (set_name, stream_id), rows in groups.items():
        nav = "Datastream" if set_name == "Datastreams" else "MultiDatastream"
        value.append(
            {
                f"{nav}@iot.navigationLink": f"{ctx.base}/{set_name}({stream_id})",
                "components": components,
                "dataArray@iot.count": len(rows),
                "dataArray": rows,
            }
        )
    body: dict[str, Any] = {}
    if page.count is not None:
        body["@iot.count"] = page.count
    body["value"] = value
    following = next_link(url, options, page)
    if following:
        body["@iot.nextLink"] = following
    return body


def _row_body(components: list[str], row: Any, feature_key: str) -> dict[str, Any]:
    if not isinstance(row, list) or len(row) != len(components):
        raise bad_request(f"each dataArray row must be an array of {len(components)} values")
    body = dict(zip(components, row, strict=True))
    if "FeatureOfInterest/id" in body:
        feature = body.pop("FeatureOfInterest/id")
        body[feature_key] = {"@iot.id": feature} if feature_key == "FeatureOfInterest" else feature
    return body


def _document(document: Any) -> tuple[list[str], dict[str, Any], list]:
    """Check one dataArray document; return its components, its stream link and its rows."""
    if not isinstance(document, dict):
        raise bad_request("each CreateObservations document must be a JSON object")
    components = document.get("components")
    if not isinstance(components, list) or not components:
        raise bad_request("a dataArray document needs a non-empty 'components' list")
    unknown = [c for c in components if c not in WRITABLE]
    if unknown:
        raise bad_request(f"unknown dataArray component '{unknown[0]}'")
    link = {k: document[k] for k in ("Datastream", "MultiDatastream") if k in document}
    if len(link) != 1:
        raise bad_request("a dataArray document needs exactly one of Datastream or MultiDatastream")
    rows = document.get("dataArray")
    if not isinstance(rows, list):
        raise bad_request("'dataArray' must be an array of rows")
    return components, link, rows


def create_observations(session: Session, base: str, documents: Any) -> list[str]:
    """Create Observations from dataArray documents; return a selfLink or an error text per row.

    Datastream documents take the bulk path (rows validated in Python, one executemany); a bad row is
    reported as "error: ..." without undoing the others, as the extension specifies.
    """
    from gelsencloud.apis.sensorthings.service import bulk
    from gelsencloud.apis.sensorthings.service.write import Writer

    if not isinstance(documents, list):
        raise bad_request("CreateObservations expects a JSON array of dataArray documents")
    parsed = [_document(document) for document in documents]  # all checked before anything is written
    observation = ENTITY_TYPES["Observation"]
    writer = Writer(session)
    out: list[str] = []
    for components, link, rows in parsed:
        if "Datastream" in link:
            target = link["Datastream"]
            stream_id = target.get("@iot.id") if isinstance(target, dict) else None
            stream = writer.load(ENTITY_TYPES["Datastream"], stream_id)
            if not writer.principal.can_write(stream.tenant_id):
                raise PermissionDenied(f"{writer.principal.name} may not write Datastream {stream.id}")
            bodies = []
            for row in rows:
                try:
                    bodies.append(_row_body(components, row, "featureOfInterest"))
                except StaError as exc:
                    bodies.append(f"error: {exc.message}")
            valid = [b for b in bodies if isinstance(b, dict)]
            created = iter(bulk.create_rows(session, stream, valid))
            for body in bodies:
                result = body if isinstance(body, str) else next(created)
                out.append(result if isinstance(result, str) else self_link(base, observation, result))
            continue
        for row in rows:
            # MultiDatastreams are rare: one savepoint per row through the ORM path.
            savepoint = session.begin_nested()
            try:
                obj = writer.create(observation, {**_row_body(components, row, "FeatureOfInterest"), **link})
                savepoint.commit()
                out.append(self_link(base, observation, obj.id))
            except StaError as exc:
                savepoint.rollback()
                out.append(f"error: {exc.message}")
    if any(not o.startswith("error") for o in out):
        session.flush()
    return out
