"""Resolve an STA resource path (``Things(1)/Datastreams``, ``Things(1)/name/$value``, ``$ref``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gelsencloud.apis.sensorthings.errors import bad_request, not_found
from gelsencloud.apis.sensorthings.schema import BY_SET, ENTITY_TYPES, EntityType, Nav
from gelsencloud.apis.sensorthings.service.read import ReadContext, get_entity, related_where

_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d+)\))?$")


@dataclass
class Resource:
    """What a path points at: a collection (``kind='set'``), an entity, a property or its raw value."""

    kind: str  # set | entity | property | value | aggregate
    etype: EntityType
    obj: Any = None
    where: list = field(default_factory=list)
    prop: str | None = None
    ref: bool = False
    parent: tuple[EntityType, Any, Nav] | None = None  # for POST into a navigation collection
    path: str = ""


def resolve(ctx: ReadContext, path: str) -> Resource:
    """Walk the path, loading each addressed entity so unknown or unreadable ids answer 404."""
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts:
        raise bad_request("empty resource path")
    ref = parts[-1] == "$ref"
    if ref:
        parts = parts[:-1]
    match = _SEGMENT.match(parts[0])
    if not match or match.group(1) not in BY_SET:
        raise not_found(f"entity set '{parts[0]}'")
    etype = BY_SET[match.group(1)]
    current = Resource("set", etype, path="/".join(parts))
    if match.group(2) is not None:
        current = Resource(
            "entity", etype, obj=get_entity(ctx, etype, int(match.group(2))), path=current.path
        )
    for part in parts[1:]:
        current = _step(ctx, current, part)
    if ref and current.kind not in ("set", "entity"):
        raise bad_request("$ref applies to entities and collections only")
    current.ref = ref
    return current


def _step(ctx: ReadContext, current: Resource, part: str) -> Resource:
    if current.kind == "property":
        if part != "$value":
            raise bad_request(f"unexpected segment '{part}' after a property")
        return Resource("value", current.etype, current.obj, prop=current.prop, path=current.path)
    if current.kind == "set" and current.etype.name == "Observation" and part in ("latest", "$aggregate"):
        from gelsencloud.apis.sensorthings.extensions import latest

        if part == "latest":
            return Resource("entity", current.etype, latest(ctx, current.where), path=current.path)
        return Resource(
            "aggregate", current.etype, where=current.where, parent=current.parent, path=current.path
        )
    if current.kind != "entity":
        raise bad_request(f"unexpected segment '{part}': address one entity by its id first, e.g. (1)")
    etype, obj = current.etype, current.obj
    if part in etype.props:
        return Resource("property", etype, obj, prop=part, path=current.path)
    match = _SEGMENT.match(part)
    if not match or match.group(1) not in etype.navs:
        raise not_found(f"property or navigation '{part}' of {etype.name}")
    nav = etype.navs[match.group(1)]
    target = ENTITY_TYPES[nav.target]
    if not nav.many:
        if match.group(2) is not None:
            raise bad_request(f"'{nav.name}' is a single entity; do not give an id")
        related_id = getattr(obj, nav.fk)
        if related_id is None:
            raise not_found(f"{nav.name} of {etype.name} {obj.id}")
        return Resource("entity", target, get_entity(ctx, target, related_id), path=current.path)
    where = [related_where(nav, obj, target)]
    if match.group(2) is not None:
        child = get_entity(ctx, target, int(match.group(2)))
        from sqlalchemy import select

        if ctx.session.scalar(select(target.model.id).where(target.model.id == child.id, *where)) is None:
            raise not_found(f"{target.name} {child.id} under {etype.name} {obj.id}")
        return Resource("entity", target, child, path=current.path)
    return Resource("set", target, where=where, parent=(etype, obj, nav), path=current.path)
