"""GeoReport v2 endpoints under /open311/v2/, backed by the GE-meldet service layer.

GET endpoints always read as an anonymous caller: the Open311 interface is the public face of
the reports, so even a staff key sees only public (moderated) reports and no personal data here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from gelsencloud.apis.open311.errors import Open311Error
from gelsencloud.apis.open311.formats import FORMATS, MIME_TYPES, respond, w3c
from gelsencloud.apps.maengelmelder import citizen_gateway as gateway
from gelsencloud.apps.maengelmelder import open311_queries as queries
from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import Jurisdiction, catalogue
from gelsencloud.apps.maengelmelder.models import Report, ReportNote, Service
from gelsencloud.apps.maengelmelder.workflow import DETAILED_TO_CODES, STATUSES, open311_status
from gelsencloud.core import identity
from gelsencloud.core.auth import resolve_principal
from gelsencloud.core.http import absolute_url
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import utcnow

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_ID = 2**31 - 1  # report ids are 32-bit integers (PostgreSQL INTEGER); larger ones cannot exist


def _reading(request: Request):
    """An anonymous session for a GET: the public view, read without a transaction (``Database.reading``)."""
    return request.app.state.db.reading()


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt!r} not supported; use xml or json")
    return fmt


def _param(params, name: str) -> str:
    """Return a parameter; empty values count as absent (GeoReport v2 rule)."""
    value = params.get(name)
    return value.strip() if isinstance(value, str) else ""


def _jurisdiction(params, fmt: str) -> Jurisdiction:
    jid = _param(params, "jurisdiction_id")
    found = catalogue().jurisdiction(jid or None)
    if found is None:
        raise Open311Error(
            404, f"jurisdiction_id {jid!r} not found" if jid else "jurisdiction_id required", fmt
        )
    return found


def _tenant(request: Request, jurisdiction: Jurisdiction, fmt: str) -> int:
    try:
        return gateway.tenant_id_of(request.app.state.db, jurisdiction)
    except NotFound as exc:
        raise Open311Error(404, str(exc), fmt) from None


def _datetime(params, name: str, fmt: str) -> datetime | None:
    raw = _param(params, name)
    if not raw:
        return None
    try:
        return svc.parse_datetime(raw, name)
    except InvalidInput as exc:
        raise Open311Error(400, str(exc), fmt) from None


def _int(params, name: str, fmt: str, default: int, minimum: int, maximum: int) -> int:
    raw = _param(params, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be an integer", fmt) from None
    if not minimum <= value <= maximum:
        raise Open311Error(400, f"{name} must be between {minimum} and {maximum}", fmt)
    return value


# --- representations ----------------------------------------------------------------------------


def service_item(service: Service) -> dict[str, Any]:
    """A GeoReport v2 service list entry (service codes always as strings)."""
    return {
        "service_code": str(service.code),
        "service_name": service.name,
        "description": service.description,
        "metadata": bool(service.attributes),
        "type": service.service_type,
        "keywords": service.keywords,
        "group": service.group,
    }


def service_definition(service: Service) -> dict[str, Any]:
    """A GeoReport v2 service definition."""
    attributes = []
    for attr in sorted(service.attributes, key=lambda a: a["order"]):
        attributes.append(
            {
                "variable": attr["variable"],
                "code": attr["code"],
                "datatype": attr["datatype"],
                "required": attr["required"],
                "datatype_description": attr["datatype_description"],
                "order": attr["order"],
                "description": attr["description"],
                "values": [{"key": v["key"], "name": v["name"]} for v in attr["values"]],
            }
        )
    return {"service_code": str(service.code), "attributes": attributes}


PHOTO_PATH = "/api/v1/maengelmelder/photos/"  # + "{id}.jpg": a published photo


class PageWriter:
    """Builds the representations of one page of requests.

    It keeps what every item of the page shares: the photos' URL base and the services' attribute
    labels (remembering formatted timestamps was tried: it cost as much as it saved).
    """

    def __init__(self, photo_base: str, labels: dict[str, dict[str, dict]] | None = None) -> None:
        self.photo_base = photo_base
        self.labels = labels or {}

    def item(self, report: Any, status_note: str | None, media_url: str | None) -> dict[str, Any]:
        """A GeoReport v2 service request from a row of the Open311 columns.

        ``status_note`` (the ``status_notes`` field) is the latest status note once staff have written
        one (the note written on submission is not a status note of the city).
        """
        return {
            "service_request_id": str(report.id),
            "status": open311_status(report.status),
            "status_notes": status_note,
            "service_name": report.service_name,
            "service_code": str(report.service_code),
            "description": report.description or None,
            "agency_responsible": report.agency_responsible or None,
            "service_notice": None,
            "requested_datetime": w3c(report.requested_at),
            "updated_datetime": w3c(report.updated_at),
            "expected_datetime": w3c(report.expected_at),
            "address": report.address or None,
            "address_id": report.address_id or None,
            "zipcode": report.zipcode or None,
            "lat": report.lat,
            "long": report.lon,
            "media_url": media_url,
        }

    def plain_item(self, row: Any) -> dict[str, Any]:
        """A service request from a row of ``list_report_rows`` (without ``extended``)."""
        photo_id = row.first_photo_id
        media = row.media_url or (f"{self.photo_base}{photo_id}.jpg" if photo_id is not None else None)
        return self.item(row, row.status_note, media)

    def extended_item(self, row: Any) -> dict[str, Any]:
        """A service request with ``extensions=true``: also notes, attributes and photos."""
        notes, photos = queries.notes_of(row), queries.photos_of(row)
        photo_base = self.photo_base
        status_notes = [n for n in notes if n.kind == "status"]
        status_note = status_notes[-1].text if len(status_notes) > 1 else None
        media = row.media_url or (f"{photo_base}{photos[0].id}.jpg" if photos else None)
        item = self.item(row, status_note, media)
        status = STATUSES[row.status]
        labels = self.labels.get(row.service_code, {})
        item["detailed_status"] = status.detailed
        item["attributes"] = [
            {
                "code": code,
                "label": labels.get(code, {}).get("description", code),
                "value": value,
                "name": _value_names(labels.get(code), value),
            }
            for code, value in row.attributes.items()
        ]
        item["extended_attributes"] = {
            "detailed_status": status.detailed,
            "status_label": status.label_de,
            "channel": row.channel,
            "location_source": row.location_source or None,
            "address_source": row.address_source or None,
            "district": row.district_code,
            "quarter": row.quarter_code,
            "duplicate_of": str(row.duplicate_of_id) if row.duplicate_of_id else None,
            "photos": [
                {
                    "media_url": f"{photo_base}{p.id}.jpg",
                    "width": p.width,
                    "height": p.height,
                    "created_at": w3c(p.created_at),
                }
                for p in photos
            ],
        }
        item["notes"] = [
            {
                "datetime": w3c(n.created_at),
                "description": n.text,
                "type": "submitted" if i == 0 and n.status == "new" else n.kind,
                "status": open311_status(n.status) if n.status else None,
                "detailed_status": STATUSES[n.status].detailed if n.status in STATUSES else None,
            }
            for i, n in enumerate(notes)
        ]
        return item


def update_item(request: Request, note: ReportNote, report: Report) -> dict[str, Any]:
    """One ``request_update`` as FixMyStreet's Open311 client reads it (status in its vocabulary)."""
    status = note.status if note.status in STATUSES else report.status
    return {
        "update_id": str(note.id),
        "service_request_id": str(report.id),
        "status": STATUSES[status].detailed,
        "updated_datetime": w3c(note.created_at),
        "description": note.text,
        "media_url": None,
        "external_status_code": status,
    }


def _window(params, fmt: str) -> tuple[datetime, datetime]:
    """start_date/end_date of the updates feed: at most 90 days, the last 24 hours by default."""
    start, end = _datetime(params, "start_date", fmt), _datetime(params, "end_date", fmt)
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date", fmt)
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date and end_date may span at most 90 days", fmt)
    if end is None:
        end = min(start + MAX_WINDOW, utcnow()) if start else utcnow()
    if start is None:
        start = end - timedelta(days=1)
    return start, end


def _value_names(attr: dict | None, value: Any) -> Any:
    if not attr or not attr.get("values"):
        return value
    names = {v["key"]: v["name"] for v in attr["values"]}
    if isinstance(value, list):
        return [names.get(v, v) for v in value]
    return names.get(value, value)


# --- routes -------------------------------------------------------------------------------------


def register(router: APIRouter) -> None:
    """Add the GeoReport v2 routes to ``router`` (which must stay flat)."""

    @router.get(PREFIX + "/discovery.{fmt}", tags=["open311"])
    def discovery(fmt: str, request: Request) -> Response:
        """Service discovery (GeoReport v2)."""
        fmt = _fmt(fmt)
        jurisdiction = _jurisdiction(request.query_params, fmt)
        tenant_id = _tenant(request, jurisdiction, fmt)
        with _reading(request) as session:
            changed = svc.services_changeset(session, tenant_id)
        changeset = w3c(changed) or catalogue().version
        payload = {
            "changeset": changeset,
            "contact": jurisdiction.contact,
            "key_service": jurisdiction.key_service,
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": absolute_url(request, PREFIX),
                    "changeset": changeset,
                    "type": "production",
                    "formats": MIME_TYPES,
                }
            ],
        }
        return respond(fmt, "discovery", None, payload)

    @router.get(PREFIX + "/services.{fmt}", tags=["open311"])
    def services(fmt: str, request: Request) -> Response:
        """GET Service List."""
        fmt = _fmt(fmt)
        tenant_id = _tenant(request, _jurisdiction(request.query_params, fmt), fmt)
        with _reading(request) as session:
            items = [service_item(s) for s in svc.list_services(session, tenant_id)]
        return respond(fmt, "services", "service", items)

    @router.get(PREFIX + "/services/{service_code}.{fmt}", tags=["open311"])
    def definition(service_code: str, fmt: str, request: Request) -> Response:
        """GET Service Definition."""
        fmt = _fmt(fmt)
        tenant_id = _tenant(request, _jurisdiction(request.query_params, fmt), fmt)
        with _reading(request) as session:
            try:
                service = svc.get_service(session, tenant_id, service_code)
            except NotFound:
                raise Open311Error(404, f"service_code {service_code!r} not found", fmt) from None
            if not service.attributes:
                raise Open311Error(404, f"service {service_code!r} has no definition (metadata=false)", fmt)
            payload = service_definition(service)
        return respond(fmt, "service_definition", None, payload)

    @router.post(PREFIX + "/requests.{fmt}", tags=["open311"])
    async def post_request(fmt: str, request: Request) -> Response:
        """POST Service Request (form-encoded; multipart with ``media`` files as an extension)."""
        fmt = _fmt(fmt)
        form = await request.form()
        try:
            uploads = [await f.read() for f in _uploads(form)]
        finally:
            await form.close()
        return await run_in_threadpool(_post, request, fmt, form, uploads)

    @router.get(PREFIX + "/requests.{fmt}", tags=["open311"])
    def get_requests(fmt: str, request: Request) -> Response:
        """GET Service Requests with the standard filters and the paging/bbox/update extensions."""
        fmt = _fmt(fmt)
        params = request.query_params
        tenant_id = _tenant(request, _jurisdiction(params, fmt), fmt)
        query, extensions, page, page_size = _request_query(params, fmt, tenant_id)
        with _reading(request) as session:  # anonymous: public reports only
            rows = queries.list_report_rows(session, query, extended=extensions)
            if len(rows) < page_size and (rows or query.offset == 0):  # last page: no need to count
                total = query.offset + len(rows)
            else:
                total = svc.count_reports(session, query)
            items = _items(request, session, rows, extensions)
        headers = {"X-Total-Count": str(total), "X-Page": str(page), "X-Page-Size": str(page_size)}
        return respond(fmt, "service_requests", "request", items, headers=headers)

    @router.get(PREFIX + "/requests/{service_request_id}.{fmt}", tags=["open311"])
    def get_request(service_request_id: str, fmt: str, request: Request) -> Response:
        """GET Service Request (``extensions=true`` adds notes, attributes and photos)."""
        fmt = _fmt(fmt)
        tenant_id = _tenant(request, _jurisdiction(request.query_params, fmt), fmt)
        missing = Open311Error(404, f"service_request_id {service_request_id!r} not found", fmt)
        if not _is_id(service_request_id) or int(service_request_id) > MAX_ID:
            raise missing
        extensions = _param(request.query_params, "extensions").lower() == "true"
        query = svc.ReportQuery(tenant_id=tenant_id, public_only=True, ids=[int(service_request_id)], limit=1)
        with _reading(request) as session:  # anonymous: public reports only
            rows = queries.list_report_rows(session, query, extended=extensions)
            if not rows:
                raise missing
            items = _items(request, session, rows, extensions)
        return respond(fmt, "service_requests", "request", items)

    @router.get(PREFIX + "/servicerequestupdates.{fmt}", tags=["open311"])
    def get_updates(fmt: str, request: Request) -> Response:
        """Public status updates in a time window (FixMyStreet's ``servicerequestupdates`` extension)."""
        fmt = _fmt(fmt)
        params = request.query_params
        tenant_id = _tenant(request, _jurisdiction(params, fmt), fmt)
        start, end = _window(params, fmt)
        ids = _ids(params, fmt)
        page = _int(params, "page", fmt, 1, 1, 1_000_000)
        page_size = _int(params, "page_size", fmt, MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        with _reading(request) as session:  # anonymous: public notes of public reports
            rows, total = queries.status_updates(
                session,
                tenant_id,
                start=start,
                end=end,
                report_ids=ids,
                offset=(page - 1) * page_size,
                limit=page_size,
            )
            items = [update_item(request, note, report) for note, report in rows]
        headers = {"X-Total-Count": str(total), "X-Page": str(page), "X-Page-Size": str(page_size)}
        return respond(fmt, "service_requests_updates", "request_update", items, headers=headers)

    @router.get(PREFIX + "/tokens/{token}.{fmt}", tags=["open311"])
    def get_token(token: str, fmt: str, request: Request) -> Response:
        """GET service_request_id from a token (returned by POST while a report awaits moderation)."""
        fmt = _fmt(fmt)
        tenant_id = _tenant(request, _jurisdiction(request.query_params, fmt), fmt)
        found = gateway.lookup_token_as_city(request.app.state.db, tenant_id, token)
        if found is False:
            raise Open311Error(404, f"token {token!r} not found", fmt)
        payload = [{"service_request_id": str(found) if found else None, "token": token}]
        return respond(fmt, "service_requests", "request", payload)


def _uploads(form: FormData) -> list[UploadFile]:
    files = []
    for name in ("media", "media[]"):
        files.extend(v for v in form.getlist(name) if isinstance(v, UploadFile))
    return files


def _attributes(params) -> dict[str, list[str]]:
    """Collect ``attribute[code]=v`` and ``attribute[code][]=v1&attribute[code][]=v2``."""
    out: dict[str, list[str]] = {}
    for key, value in params.multi_items():
        if not key.startswith("attribute[") or not isinstance(value, str):
            continue
        code = key[len("attribute[") :].removesuffix("[]").removesuffix("]")
        out.setdefault(code, []).append(value)
    return out


def _post(request: Request, fmt: str, form: FormData, uploads: list[bytes]) -> Response:
    """The synchronous part of POST: authenticate, then hand over to the citizen gateway."""
    merged: dict[str, str] = {k: v for k, v in request.query_params.items()}
    merged.update({k: v for k, v in form.items() if isinstance(v, str)})
    jurisdiction = _jurisdiction(merged, fmt)
    db = request.app.state.db
    api_key = _param(merged, "api_key")
    with db.transaction() as session:
        if api_key:
            principal = identity.resolve_api_key(session, api_key)
            if principal is None:
                raise Open311Error(403, "api_key invalid, expired or revoked", fmt)
        else:
            try:
                principal = resolve_principal(request, session)
            except HTTPException:
                raise Open311Error(403, "api_key invalid, expired or revoked", fmt) from None
    if principal.is_anonymous and not jurisdiction.anonymous_post:
        raise Open311Error(403, "api_key required for this jurisdiction", fmt)
    sub = gateway.Submission(
        jurisdiction=jurisdiction,
        service_code=_param(merged, "service_code"),
        lat=_param(merged, "lat"),
        long=_param(merged, "long"),
        address_string=_param(merged, "address_string"),
        address_id=_param(merged, "address_id"),
        attributes=_attributes(form),
        description=merged.get("description", "") or "",
        media_url=_param(merged, "media_url"),
        email=_param(merged, "email"),
        first_name=_param(merged, "first_name"),
        last_name=_param(merged, "last_name"),
        phone=_param(merged, "phone"),
        device_id=_param(merged, "device_id"),
        account_id=_param(merged, "account_id"),
        uploads=uploads,
        channel="open311",
        api_key_id=principal.api_key_id,
        client_ip=gateway.client_ip(request),
    )
    if not sub.service_code:
        raise Open311Error(400, "service_code is required", fmt)
    city = request.app.state.city
    try:
        result = gateway.submit_report_as_city(db, request.app.state.settings.secret_key, city.bbox, sub)
    except svc.ValidationProblems as exc:
        raise Open311Error(400, exc.problems, fmt) from None
    except gateway.RateLimited as exc:
        raise Open311Error(429, str(exc), fmt, headers={"Retry-After": str(exc.retry_after)}) from None
    except NotFound as exc:
        raise Open311Error(404, str(exc), fmt) from None
    entry: dict[str, Any] = (
        {"service_request_id": str(result.report_id)} if result.published else {"token": result.token}
    )
    entry["service_notice"] = result.notice or None
    entry["account_id"] = None
    return respond(fmt, "service_requests", "request", [entry], status=201)


def _list(params, name: str) -> list[str]:
    return [v.strip() for v in _param(params, name).split(",") if v.strip()]


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit alone also accepts "²"


def _ids(params, fmt: str) -> list[int] | None:
    """The ``service_request_id`` filter: None when absent; ids too large to exist are left out."""
    ids = _list(params, "service_request_id")
    if not ids:
        return None
    if not all(_is_id(i) for i in ids):
        raise Open311Error(400, "service_request_id must be a comma-separated list of ids", fmt)
    return [int(i) for i in ids if int(i) <= MAX_ID]


def _request_query(params, fmt: str, tenant_id: int) -> tuple[svc.ReportQuery, bool, int, int]:
    extensions = _param(params, "extensions").lower() == "true"
    page = _int(params, "page", fmt, 1, 1, 1_000_000)
    page_size = _int(params, "page_size", fmt, MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    query = svc.ReportQuery(
        tenant_id=tenant_id, public_only=True, offset=(page - 1) * page_size, limit=page_size
    )
    ids = _ids(params, fmt)
    if ids is not None:
        query.ids = ids
        return query, extensions, page, page_size
    query.service_codes = _list(params, "service_code") or None
    statuses = [s.lower() for s in _list(params, "status")]
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status must be open, closed or both (comma-separated)", fmt)
    query.open311_status = statuses or None
    detailed = _list(params, "detailed_status")
    if detailed:
        codes = [DETAILED_TO_CODES.get(d.upper(), d.lower()) for d in detailed]
        unknown = [d for d, c in zip(detailed, codes, strict=True) if c not in STATUSES]
        if unknown:
            raise Open311Error(400, f"unknown detailed_status {', '.join(unknown)}", fmt)
        query.statuses = codes
    start, end = _datetime(params, "start_date", fmt), _datetime(params, "end_date", fmt)
    query.updated_after = _datetime(params, "updated_after", fmt)
    query.updated_before = _datetime(params, "updated_before", fmt)
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date", fmt)
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date and end_date may span at most 90 days", fmt)
    if start and not end:
        end = start + MAX_WINDOW
    elif end and not start:
        start = end - MAX_WINDOW
    elif not start and not end and query.updated_after is None:
        # Default window; an incremental feed (updated_after) is bounded by paging instead.
        end = utcnow()
        start = end - MAX_WINDOW
    query.start, query.end = start, end
    bbox = _list(params, "bbox")
    if bbox:
        try:
            min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
        except ValueError:
            raise Open311Error(400, "bbox must be minLong,minLat,maxLong,maxLat", fmt) from None
        if min_lon > max_lon or min_lat > max_lat:
            raise Open311Error(400, "bbox must be minLong,minLat,maxLong,maxLat", fmt)
        query.bbox = (min_lon, min_lat, max_lon, max_lat)
    return query, extensions, page, page_size


def _items(request: Request, session, rows: list[Any], extensions: bool) -> list[dict[str, Any]]:
    """Representations of the rows of :func:`queries.list_report_rows` (same ``extensions``)."""
    photo_base = absolute_url(request, PHOTO_PATH)
    if not extensions:
        plain = PageWriter(photo_base).plain_item
        return [plain(r) for r in rows]
    labels: dict[str, dict[str, dict]] = {}
    if any(r.attributes for r in rows):  # attribute labels come from the service definitions
        for s in svc.list_services(session, rows[0].tenant_id, include_inactive=True):
            labels[s.code] = {a["code"]: a for a in s.attributes}
    extended = PageWriter(photo_base, labels).extended_item
    return [extended(r) for r in rows]
