"""Read entities with $filter/$select/$expand/$orderby/$top/$skip/$count and server-driven paging."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from gelsencloud.apis.sensorthings import spatial
from gelsencloud.apis.sensorthings.errors import StaError, bad_request, not_found
from gelsencloud.apis.sensorthings.query import QueryError, QueryOptions, options_to_params
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES, EntityType, Nav
from gelsencloud.apis.sensorthings.serialize import prop_value, self_link
from gelsencloud.apis.sensorthings.translate import Translator, relation_clause

# Server-driven paging (STA 1.1 §9.3.3.7): pages of DEFAULT_TOP, never more than MAX_TOP per page.
DEFAULT_TOP = 100
MAX_TOP = 1000
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: larger ones cannot exist


@dataclass
class ReadContext:
    """What a read needs: the session acting for the caller and the absolute service root URL."""

    session: Session
    base: str
    dialect: str = field(init=False)

    def __post_init__(self) -> None:
        self.dialect = self.session.get_bind().dialect.name
        spatial.ensure_functions(self.session)


@dataclass
class Page:
    """One page of a collection: the entities, the total count if asked, and whether more follow."""

    items: list[Any]
    count: int | None
    more: bool
    top: int
    skip: int


def _execute(ctx: ReadContext, stmt):
    try:
        return ctx.session.execute(stmt)
    except (DBAPIError, StatementError) as exc:
        ctx.session.rollback()
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        raise StaError(400, f"the query could not be evaluated: {reason}") from None


def get_entity(ctx: ReadContext, etype: EntityType, entity_id: int) -> Any:
    """Return one readable entity or raise 404 (unreadable ones do not exist for the caller)."""
    if not 0 < entity_id <= MAX_ID:
        raise not_found(f"{etype.name} {entity_id}")
    obj = ctx.session.get(etype.model, entity_id)
    if obj is None:
        raise not_found(f"{etype.name} {entity_id}")
    return obj


def related_where(nav: Nav, parent: Any, target: EntityType) -> Any:
    """Condition selecting the ``target`` rows related to a loaded ``parent`` through ``nav``."""
    return relation_clause(nav, parent, target.model)


def fetch(
    ctx: ReadContext,
    etype: EntityType,
    options: QueryOptions,
    where: list | None = None,
    *,
    option_prefix: str = "",
) -> Page:
    """Run a collection query and return one page."""
    model = etype.model
    conditions = list(where or [])
    if options.filter is not None:
        translator = Translator(etype, model, ctx.dialect, option_prefix + "$filter")
        conditions.append(translator.where(options.filter))
    top = DEFAULT_TOP if options.top is None else min(options.top, MAX_TOP)
    skip = options.skip or 0
    stmt = select(model).where(*conditions)
    order = []
    if options.orderby:
        order = Translator(etype, model, ctx.dialect, option_prefix + "$orderby").order(options.orderby)
    stmt = stmt.order_by(*order, model.id).offset(skip).limit(top + 1)
    rows = list(_execute(ctx, stmt).scalars())
    count = None
    if options.count:
        count = _execute(ctx, select(func.count(model.id)).where(*conditions)).scalar_one()
    return Page(rows[:top], count, len(rows) > top, top, skip)


def next_link(url: str, options: QueryOptions, page: Page) -> str | None:
    """Absolute ``@iot.nextLink`` for the page after ``page`` (None on the last page)."""
    # $top=0 asks for no entities (typically just @iot.count): a next page would be the same request.
    if not page.more or page.top == 0:
        return None
    params = options_to_params(options)
    params["$top"] = str(page.top)
    params["$skip"] = str(page.skip + page.top)
    return url + "?" + urlencode(params, quote_via=quote, safe="$(),'/:")


def _selected(options: QueryOptions) -> set[str] | None:
    if options.select is None:
        return None
    return {path.segments[0] for path in options.select}


def entity_json(ctx: ReadContext, etype: EntityType, obj: Any, options: QueryOptions) -> dict[str, Any]:
    """Serialise one entity with control information, honouring $select and $expand."""
    selected = _selected(options)
    link = self_link(ctx.base, etype, obj.id)
    out: dict[str, Any] = {}
    if selected is None or selected & {"id", "@iot.id"}:
        out["@iot.id"] = obj.id
    if selected is None or selected & {"selfLink", "@iot.selfLink"}:
        out["@iot.selfLink"] = link
    if selected is not None:
        unknown = (
            selected - set(etype.props) - set(etype.navs) - {"id", "@iot.id", "selfLink", "@iot.selfLink"}
        )
        if unknown:
            raise QueryError("$select", f"unknown property '{sorted(unknown)[0]}' of {etype.set_name}")
    for name, prop in etype.props.items():
        if selected is None or name in selected:
            out[name] = prop_value(prop, obj)
    expanded = {}
    for item in options.expand:
        nested = item.as_nested()
        name = nested.path[0]
        if name not in etype.navs:
            raise QueryError("$expand", f"unknown navigation property '{name}' of {etype.set_name}")
        expanded[name] = nested.options
    for name, nav in etype.navs.items():
        if name in expanded:
            continue
        if nav.fk and getattr(obj, nav.fk) is None:
            continue  # e.g. the unused one of Datastream / MultiDatastream on an Observation
        if selected is None or name in selected:
            out[f"{name}@iot.navigationLink"] = f"{link}/{name}"
    for name, nested_options in expanded.items():
        _expand(ctx, etype, obj, etype.navs[name], nested_options, out, link)
    return out


def _expand(ctx, etype, obj, nav: Nav, options: QueryOptions, out: dict, link: str) -> None:
    target = ENTITY_TYPES[nav.target]
    if not nav.many:
        related_id = getattr(obj, nav.fk)
        related = ctx.session.get(target.model, related_id) if related_id is not None else None
        out[nav.name] = None if related is None else entity_json(ctx, target, related, options)
        return
    page = fetch(
        ctx, target, options, [related_where(nav, obj, target)], option_prefix=f"$expand={nav.name}: "
    )
    out[nav.name] = [entity_json(ctx, target, item, options) for item in page.items]
    if page.count is not None:
        out[f"{nav.name}@iot.count"] = page.count
    following = next_link(f"{link}/{nav.name}", options, page)
    if following:
        out[f"{nav.name}@iot.nextLink"] = following


def collection_json(ctx: ReadContext, etype: EntityType, page: Page, options: QueryOptions, url: str) -> dict:
    """Serialise a page of a collection with @iot.count and @iot.nextLink."""
    body: dict[str, Any] = {}
    if page.count is not None:
        body["@iot.count"] = page.count
    body["value"] = [entity_json(ctx, etype, obj, options) for obj in page.items]
    following = next_link(url, options, page)
    if following:
        body["@iot.nextLink"] = following
    return body


def check_no_options(options: QueryOptions, what: str) -> None:
    """Refuse collection options on a single entity or property."""
    if options.filter is not None or options.orderby or options.top is not None or options.skip is not None:
        raise bad_request(f"$filter, $orderby, $top and $skip apply to collections, not to {what}")
