"""Service layer of GE-meldet: the Open311 API, pages, CLI, jobs and the demo all call these.

Every function takes a ``Session`` acting for the caller; the platform's classification layer
decides what the caller may read and write. The only code that writes on behalf of anonymous
citizens is in :mod:`gelsencloud.apps.maengelmelder.citizen_gateway`.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session, defer

from gelsencloud.apps.maengelmelder.config import Catalogue, catalogue
from gelsencloud.apps.maengelmelder.districts import DistrictLocator
from gelsencloud.apps.maengelmelder.models import (
    Report,
    ReportContact,
    ReportNote,
    ReportPhoto,
    Service,
    Subscription,
)
from gelsencloud.apps.maengelmelder.photos import CleanPhoto
from gelsencloud.apps.maengelmelder.workflow import (
    CLOSED_STATES,
    STATUSES,
    can_move,
    open311_status,
)
from gelsencloud.core import events
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import utcnow

DESCRIPTION_MAX = 4000
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
PRIORITIES = ("low", "normal", "high", "urgent")
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?:\+49|\b0)[\d /-]{7,}\d")
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
# A deliberately short list; staff moderation catches the rest.
_BLOCKLIST = ("arschloch", "wichser", "hurensohn", "fotze", "scheiß stadt")


class ValidationProblems(InvalidInput):
    """Several validation messages at once (Open311 returns them as separate errors)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- services (categories) ---------------------------------------------------------------------


def seed_services(session: Session, tenant_id: int, cat: Catalogue | None = None) -> int:
    """Create or update the services of a tenant from the seed file; return how many changed."""
    cat = cat or catalogue()
    existing = {s.code: s for s in session.scalars(select(Service).where(Service.tenant_id == tenant_id))}
    changed = 0
    for position, raw in enumerate(cat.services):
        attrs = _normalise_attributes(raw.get("attributes") or [])
        values = {
            "name": raw["name"],
            "description": raw.get("description", ""),
            "group": raw.get("group", ""),
            "keywords": raw.get("keywords", ""),
            "service_type": raw.get("type", "realtime"),
            "attributes": attrs,
            "department": raw.get("department", ""),
            "sla_days": int(raw.get("sla_days", 14)),
            "duplicate_radius_m": int(raw.get("duplicate_radius_m", 50)),
            "duplicate_days": int(raw.get("duplicate_days", 14)),
            "position": position,
            "active": bool(raw.get("active", True)),
        }
        service = existing.get(str(raw["code"]))
        if service is None:
            service = Service(tenant_id=tenant_id, code=str(raw["code"]), classification="public")
            session.add(service)
        elif all(getattr(service, k) == v for k, v in values.items()):
            continue
        for key, value in values.items():
            setattr(service, key, value)
        service.updated_at = utcnow()
        changed += 1
    session.flush()
    return changed


def _normalise_attributes(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    for order, attr in enumerate(raw, start=1):
        if attr["datatype"] not in DATATYPES:
            raise InvalidInput(f"attribute {attr['code']}: unknown datatype {attr['datatype']!r}")
        if attr["code"] in seen:
            raise InvalidInput(f"attribute code {attr['code']!r} used twice")
        seen.add(attr["code"])
        out.append(
            {
                "variable": bool(attr.get("variable", True)),
                "code": str(attr["code"]),
                "datatype": attr["datatype"],
                "required": bool(attr.get("required", False)),
                "datatype_description": attr.get("datatype_description", ""),
                "order": int(attr.get("order", order)),
                "description": attr.get("description", ""),
                "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in attr.get("values") or []],
            }
        )
    return out


def list_services(session: Session, tenant_id: int, *, include_inactive: bool = False) -> list[Service]:
    """Return the services of a tenant in catalogue order."""
    stmt = select(Service).where(Service.tenant_id == tenant_id).order_by(Service.position, Service.code)
    if not include_inactive:
        stmt = stmt.where(Service.active.is_(True))
    return list(session.scalars(stmt))


def get_service(session: Session, tenant_id: int, code: str) -> Service:
    """Return one active service of a tenant by code."""
    service = session.scalar(
        select(Service).where(Service.tenant_id == tenant_id, Service.code == code, Service.active.is_(True))
    )
    if service is None:
        raise NotFound(f"service_code {code!r} not found")
    return service


def services_changeset(session: Session, tenant_id: int) -> datetime | None:
    """Return when the tenant's service catalogue last changed (the discovery changeset)."""
    return session.scalar(select(func.max(Service.updated_at)).where(Service.tenant_id == tenant_id))


# --- validation ---------------------------------------------------------------------------------


def parse_datetime(value: str, name: str) -> datetime:
    """Parse an ISO 8601 timestamp that must carry a timezone."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+") if "T" in value else value.strip())
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 date-time, e.g. 2026-11-27T10:00:00+01:00") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} must include a timezone (Z or an offset such as +01:00)")
    return parsed


def validate_attributes(service: Service, raw: dict[str, list[str]]) -> dict[str, Any]:
    """Check submitted attribute values against the service definition; return clean values."""
    problems: list[str] = []
    defs = {a["code"]: a for a in service.attributes if a.get("variable", True)}
    for code in raw:
        if code not in defs:
            problems.append(f"attribute[{code}] is not an attribute of service {service.code}")
    clean: dict[str, Any] = {}
    for code, attr in defs.items():
        values = [v.strip() for v in raw.get(code, []) if v is not None and v.strip() != ""]
        if not values:
            if attr["required"]:
                problems.append(f"attribute[{code}] is required")
            continue
        kind = attr["datatype"]
        keys = {v["key"] for v in attr["values"]}
        if kind == "multivaluelist":
            unknown = [v for v in values if v not in keys]
            if unknown:
                problems.append(f"attribute[{code}]: unknown value(s) {', '.join(unknown)}")
            clean[code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            problems.append(f"attribute[{code}] takes one value")
            continue
        value = values[0]
        if kind == "singlevaluelist" and value not in keys:
            problems.append(f"attribute[{code}]: {value!r} is not one of {', '.join(sorted(keys))}")
        elif kind == "number":
            try:
                number = float(value)
                if not math.isfinite(number):
                    raise ValueError
                clean[code] = int(number) if number.is_integer() else number
            except ValueError:
                problems.append(f"attribute[{code}] must be a number")
            continue
        elif kind == "datetime":
            try:
                clean[code] = parse_datetime(value, f"attribute[{code}]").isoformat()
            except InvalidInput as exc:
                problems.append(str(exc))
            continue
        elif kind == "string" and ("\n" in value or "\r" in value):
            problems.append(f"attribute[{code}] must be a single line")
        elif len(value) > DESCRIPTION_MAX:
            problems.append(f"attribute[{code}] is longer than {DESCRIPTION_MAX} characters")
        clean[code] = value
    if problems:
        raise ValidationProblems(problems)
    return clean


def validate_description(text: str) -> str:
    """Check the Open311 rules for descriptions: plain text, at most 4,000 characters."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > DESCRIPTION_MAX:
        raise InvalidInput(f"description is longer than {DESCRIPTION_MAX} characters ({len(text)})")
    if _HTML.search(text):
        raise InvalidInput("description must be plain text without HTML")
    return text


def moderation_concern(text: str) -> str:
    """Return why a text needs a human look before publication (empty when it looks fine)."""
    lowered = text.lower()
    if _EMAIL.search(text):
        return "enthält eine E-Mail-Adresse"
    if _PHONE.search(text):
        return "enthält eine Telefonnummer"
    if _URL.search(text):
        return "enthält einen Link"
    if any(word in lowered for word in _BLOCKLIST):
        return "enthält beleidigende Wörter"
    return ""


# --- reports ------------------------------------------------------------------------------------


@dataclass
class NewReport:
    """A validated submission, ready to be stored."""

    service: Service
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    address_id: str = ""
    zipcode: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    media_url: str = ""
    photos: list[CleanPhoto] = field(default_factory=list)
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""
    ip_hash: str = ""
    channel: str = "web"
    api_key_id: int | None = None
    synthetic: bool = False
    requested_at: datetime | None = None
    location_source: str = ""  # "pin" (given coordinates), "geocoder" (from the address) or ""
    address_source: str = ""  # "citizen" (typed) or "geocoder" (reverse geocoded from the pin)


def create_report(session: Session, new: NewReport, *, premoderate: bool = False) -> Report:
    """Store a report with its contact record, photos and first status note."""
    cat = catalogue()
    now = new.requested_at or utcnow()
    place = DistrictLocator(session).locate(new.lat, new.lon)
    department = cat.route(new.service.code, place.district_code, new.service.department)
    concern = moderation_concern(new.description)
    published = not premoderate and not concern
    report = Report(
        tenant_id=new.service.tenant_id,
        classification="public" if published else "internal",
        token=secrets.token_urlsafe(16),
        service_code=new.service.code,
        service_name=new.service.name,
        status="new",
        description=new.description,
        lat=new.lat,
        lon=new.lon,
        address=new.address,
        address_id=new.address_id,
        zipcode=new.zipcode,
        district_code=place.district_code,
        quarter_code=place.quarter_code,
        attributes=new.attributes,
        media_url=new.media_url,
        department=department,
        agency_responsible=cat.agency(department),
        moderation="approved" if published else "pending",
        moderation_reason=concern or ("Vorabprüfung eingeschaltet" if premoderate else ""),
        channel=new.channel,
        api_key_id=new.api_key_id,
        synthetic=new.synthetic,
        location_source=new.location_source or ("pin" if new.lat is not None else ""),
        address_source=new.address_source or ("citizen" if new.address else ""),
        requested_at=now,
        updated_at=now,
        expected_at=now + timedelta(days=new.service.sla_days),
    )
    session.add(report)
    session.flush()
    session.add(
        ReportContact(
            tenant_id=report.tenant_id,
            classification="personal",
            report_id=report.id,
            email=new.email.strip().lower(),
            first_name=new.first_name.strip(),
            last_name=new.last_name.strip(),
            phone=new.phone.strip(),
            device_id=new.device_id.strip(),
            account_id=new.account_id.strip(),
            ip_hash=new.ip_hash,
            created_at=now,
        )
    )
    for photo in new.photos:
        session.add(
            ReportPhoto(
                tenant_id=report.tenant_id,
                classification="internal",  # published by a moderator
                report_id=report.id,
                content=photo.content,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.content),
                created_at=now,
            )
        )
    session.add(
        ReportNote(
            tenant_id=report.tenant_id,
            classification=report.classification,
            report_id=report.id,
            kind="status",
            status="new",
            text="Meldung eingegangen.",
            author="GE-meldet",
            created_at=now,
        )
    )
    session.flush()
    events.publish(session, "maengelmelder.request.created", report_event_payload(report))
    return report


def report_event_payload(report: Report, previous_status: str | None = None) -> dict[str, Any]:
    """The anonymised event payload of a report: no text, no contact, location on a ~100 m grid."""
    location = None
    if report.lat is not None and report.lon is not None:
        lat, lon = round_to_grid(report.lat, report.lon)
        location = {"lat": lat, "lon": lon}
    payload: dict[str, Any] = {
        "id": report.id,
        "tenant_id": report.tenant_id,
        "service_code": report.service_code,
        "district": report.district_code,
        "location": location,
        "status": report.status,
        "open311_status": open311_status(report.status),
        "published": report.classification == "public",
        "requested_at": report.requested_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
    }
    if previous_status is not None:
        payload["previous_status"] = previous_status
    return payload


def get_report(session: Session, report_id: int) -> Report:
    """Return one readable report (unreadable ones do not exist for the caller)."""
    report = session.scalar(select(Report).where(Report.id == report_id))
    if report is None:
        raise NotFound(f"service request {report_id} not found")
    return report


@dataclass
class ReportQuery:
    """Filters for listing reports (Open311 parameters plus the extensions)."""

    tenant_id: int | None = None
    ids: list[int] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    open311_status: list[str] | None = None
    statuses: list[str] | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    department: str | None = None
    district: str | None = None
    assigned_to: str | None = None
    moderation: str | None = None
    text: str | None = None
    public_only: bool = False  # the public face, even when staff look at it
    offset: int = 0
    limit: int | None = 1000


def filtered_select(q: ReportQuery) -> Select:
    """The SELECT of reports matching ``q`` (without order and paging)."""
    stmt = select(Report)
    if q.tenant_id is not None:
        stmt = stmt.where(Report.tenant_id == q.tenant_id)
    if q.public_only:
        stmt = stmt.where(Report.classification == "public")
    if q.ids is not None:
        return stmt.where(Report.id.in_(q.ids))  # Open311: ids override every other filter
    if q.service_codes:
        stmt = stmt.where(Report.service_code.in_(q.service_codes))
    if q.start is not None:
        stmt = stmt.where(Report.requested_at >= q.start)
    if q.end is not None:
        stmt = stmt.where(Report.requested_at <= q.end)
    codes: set[str] | None = None
    if q.open311_status:
        codes = {c for c, s in STATUSES.items() if s.open311 in q.open311_status}
    if q.statuses:
        codes = set(q.statuses) if codes is None else codes & set(q.statuses)
    if codes is not None:
        stmt = stmt.where(Report.status.in_(sorted(codes)))
    if q.updated_after is not None:
        stmt = stmt.where(Report.updated_at > q.updated_after)
    if q.updated_before is not None:
        stmt = stmt.where(Report.updated_at < q.updated_before)
    if q.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = q.bbox
        stmt = stmt.where(
            Report.lon >= min_lon, Report.lon <= max_lon, Report.lat >= min_lat, Report.lat <= max_lat
        )
    if q.department:
        stmt = stmt.where(Report.department == q.department)
    if q.district:
        stmt = stmt.where(Report.district_code == q.district)
    if q.assigned_to:
        stmt = stmt.where(Report.assigned_to == q.assigned_to)
    if q.moderation:
        stmt = stmt.where(Report.moderation == q.moderation)
    if q.text:
        like = f"%{q.text.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Report.description).like(like), func.lower(Report.address).like(like))
        )
    return stmt


def list_reports(session: Session, q: ReportQuery) -> list[Report]:
    """Return readable reports matching ``q``, newest first."""
    stmt = filtered_select(q).order_by(Report.requested_at.desc(), Report.id.desc()).offset(q.offset)
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    return list(session.scalars(stmt))


def count_reports(session: Session, q: ReportQuery) -> int:
    """Count readable reports matching ``q`` (ignoring paging)."""
    return session.scalar(select(func.count()).select_from(filtered_select(q).subquery())) or 0


def notes_of(session: Session, report_ids: list[int]) -> dict[int, list[ReportNote]]:
    """Return the readable notes of several reports, oldest first."""
    out: dict[int, list[ReportNote]] = {i: [] for i in report_ids}
    if report_ids:
        stmt = select(ReportNote).where(ReportNote.report_id.in_(report_ids))
        for note in session.scalars(stmt.order_by(ReportNote.created_at, ReportNote.id)):
            out[note.report_id].append(note)
    return out


def photos_of(session: Session, report_ids: list[int]) -> dict[int, list[ReportPhoto]]:
    """Return the readable photos of several reports (without loading their bytes twice)."""
    out: dict[int, list[ReportPhoto]] = {i: [] for i in report_ids}
    if report_ids:
        stmt = (
            select(ReportPhoto)
            .options(defer(ReportPhoto.content))
            .where(ReportPhoto.report_id.in_(report_ids))
            .order_by(ReportPhoto.id)
        )
        for photo in session.scalars(stmt):
            out[photo.report_id].append(photo)
    return out


def get_photo(session: Session, photo_id: int) -> ReportPhoto:
    """Return one readable photo."""
    photo = session.scalar(select(ReportPhoto).where(ReportPhoto.id == photo_id))
    if photo is None or photo.report_id is None:
        raise NotFound(f"photo {photo_id} not found")
    return photo


def contact_of(session: Session, report_id: int) -> ReportContact | None:
    """Return the reporter's contact if the caller may read personal data."""
    return session.scalar(select(ReportContact).where(ReportContact.report_id == report_id))


# --- staff workflow -----------------------------------------------------------------------------


def _note(
    session: Session,
    report: Report,
    text: str,
    *,
    kind: str,
    author: str,
    public: bool,
    at: datetime | None = None,
) -> ReportNote:
    note = ReportNote(
        tenant_id=report.tenant_id,
        classification="public" if public and report.classification == "public" else "internal",
        report_id=report.id,
        kind=kind,
        status=report.status,
        text=text,
        author=author,
        created_at=at or utcnow(),
    )
    session.add(note)
    return note


def change_status(
    session: Session,
    report: Report,
    target: str,
    *,
    note: str | None = None,
    author: str = "",
    at: datetime | None = None,
) -> ReportNote:
    """Move a report through the workflow and add the public status note (template if no text)."""
    if target not in STATUSES:
        raise InvalidInput(f"unknown status {target!r}")
    if not can_move(report.status, target):
        raise InvalidInput(f"a report in status {report.status!r} cannot move to {target!r}")
    now = at or utcnow()
    previous = report.status
    text = (note or "").strip() or catalogue().status_templates.get(target, STATUSES[target].label_de)
    text = validate_description(text)  # before any change: a bad note leaves the report as it was
    report.status = target
    report.updated_at = now
    report.closed_at = now if target in CLOSED_STATES else None
    result = _note(session, report, text, kind="status", author=author, public=True, at=now)
    session.flush()
    events.publish(
        session,
        "maengelmelder.request.status_changed",
        report_event_payload(report, previous_status=previous),
    )
    return result


def add_internal_note(session: Session, report: Report, text: str, *, author: str = "") -> ReportNote:
    """Add a staff-only note."""
    if not text.strip():
        raise InvalidInput("note must not be empty")
    note = _note(session, report, text.strip(), kind="internal", author=author, public=False)
    report.updated_at = utcnow()
    session.flush()
    return note


def assign(session: Session, report: Report, *, assignee: str | None, department: str | None = None) -> None:
    """Assign a report to a person and/or move it to another department's inbox."""
    if department is not None:
        if department not in catalogue().departments:
            raise InvalidInput(f"unknown department {department!r}")
        report.department = department
        report.agency_responsible = catalogue().agency(department)
    report.assigned_to = (assignee or "").strip() or None
    report.updated_at = utcnow()
    session.flush()


def set_priority(session: Session, report: Report, priority: str) -> None:
    """Set the priority (low, normal, high, urgent)."""
    if priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {', '.join(PRIORITIES)}")
    report.priority = priority
    report.updated_at = utcnow()
    session.flush()


def moderate_report(
    session: Session, report: Report, *, approve: bool, description: str | None = None, reason: str = ""
) -> None:
    """Publish (optionally with an edited text) or hide a report and its status notes."""
    if description is not None:
        report.description = validate_description(description)
    report.moderation = "approved" if approve else "rejected"
    report.moderation_reason = reason
    report.classification = "public" if approve else "internal"
    report.updated_at = utcnow()
    session.execute(
        update(ReportNote)
        .where(ReportNote.report_id == report.id, ReportNote.kind == "status")
        .values(classification=report.classification)
    )
    session.flush()


def moderate_photo(session: Session, photo: ReportPhoto, *, approve: bool) -> None:
    """Publish a photo, or delete it for good (faces, number plates, inappropriate content)."""
    report = get_report(session, photo.report_id)
    if approve:
        photo.classification = "public"
    else:
        session.delete(photo)
    report.updated_at = utcnow()
    session.flush()


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def duplicate_candidates(session: Session, report: Report) -> list[tuple[Report, float]]:
    """Suggest earlier or later reports of the same category within the radius and time window."""
    service = session.scalar(
        select(Service).where(Service.tenant_id == report.tenant_id, Service.code == report.service_code)
    )
    radius = service.duplicate_radius_m if service else 50
    days = service.duplicate_days if service else 14
    if not radius or report.lat is None or report.lon is None:
        return []
    dlat = radius / 111_320
    dlon = radius / (111_320 * max(math.cos(math.radians(report.lat)), 0.01))
    window = timedelta(days=days)
    stmt = select(Report).where(
        Report.id != report.id,
        Report.tenant_id == report.tenant_id,
        Report.service_code == report.service_code,
        Report.status != "closed_duplicate",
        Report.lat.between(report.lat - dlat, report.lat + dlat),
        Report.lon.between(report.lon - dlon, report.lon + dlon),
        Report.requested_at.between(report.requested_at - window, report.requested_at + window),
    )
    found = [(r, distance_m(report.lat, report.lon, r.lat, r.lon)) for r in session.scalars(stmt)]
    return sorted([(r, d) for r, d in found if d <= radius], key=lambda pair: pair[1])


def merge_into(session: Session, duplicate: Report, original: Report, *, author: str = "") -> None:
    """Close ``duplicate`` as a duplicate of ``original`` and note it on both."""
    if duplicate.id == original.id:
        raise InvalidInput("a report cannot be merged into itself")
    if original.duplicate_of_id == duplicate.id:
        raise InvalidInput("the target is itself merged into this report")
    if duplicate.status not in CLOSED_STATES:
        change_status(
            session,
            duplicate,
            "closed_duplicate",
            note=f"Doppelmeldung – bitte verfolgen Sie Meldung {original.id}.",
            author=author,
        )
    duplicate.duplicate_of_id = original.id
    _note(
        session,
        original,
        f"Meldung {duplicate.id} wurde als Doppelmeldung hier zusammengeführt.",
        kind="merge",
        author=author,
        public=False,
    )
    session.flush()


BULK_ACTIONS = ("status", "assign", "priority", "department")


def bulk_action(session: Session, report_ids: list[int], action: str, value: str, *, author: str = "") -> int:
    """Apply one action to several reports; return how many changed (others are skipped)."""
    if action not in BULK_ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(BULK_ACTIONS)}")
    done = 0
    for report in session.scalars(select(Report).where(Report.id.in_(report_ids))):
        if action == "status":
            if not can_move(report.status, value):
                continue
            change_status(session, report, value, author=author)
        elif action == "assign":
            assign(session, report, assignee=value)
        elif action == "department":
            assign(session, report, assignee=report.assigned_to, department=value)
        else:
            set_priority(session, report, value)
        done += 1
    return done


def record_feedback(session: Session, report: Report, *, fixed: bool) -> ReportNote:
    """Store a citizen's answer to "is it fixed?"; "not fixed" on a closed report reopens it."""
    if not fixed and report.status in CLOSED_STATES and report.status != "closed_duplicate":
        change_status(
            session,
            report,
            "reopened",
            note="Eine Bürgerin oder ein Bürger meldet: Der Mangel besteht weiterhin.",
            author="Rückmeldung",
        )
    text = "Rückmeldung: behoben." if fixed else "Rückmeldung: noch nicht behoben."
    note = _note(session, report, text, kind="feedback", author="Rückmeldung", public=True)
    session.flush()
    return note


# --- statistics ---------------------------------------------------------------------------------


def statistics(session: Session, tenant_id: int, *, since: datetime | None = None) -> dict[str, Any]:
    """Counts by status, category, district, department; SLA overdue; median days to close."""
    base = select(Report).where(Report.tenant_id == tenant_id)
    if since is not None:
        base = base.where(Report.requested_at >= since)
    sub = base.subquery()

    def grouped(column) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).group_by(column).order_by(func.count().desc()))
        return {str(k) if k is not None else "–": n for k, n in rows}

    now = utcnow()
    overdue = session.scalar(
        select(func.count())
        .select_from(sub)
        .where(sub.c.status.in_(sorted(set(STATUSES) - CLOSED_STATES)), sub.c.expected_at < now)
    )
    durations = sorted(
        (closed - requested).total_seconds() / 86400
        for requested, closed in session.execute(
            select(sub.c.requested_at, sub.c.closed_at).where(sub.c.closed_at.is_not(None))
        )
        if closed and requested
    )
    median = durations[len(durations) // 2] if durations else None
    return {
        "total": session.scalar(select(func.count()).select_from(sub)) or 0,
        "by_status": grouped(sub.c.status),
        "by_service": grouped(sub.c.service_name),
        "by_district": grouped(sub.c.district_code),
        "by_department": grouped(sub.c.department),
        "overdue": overdue or 0,
        "median_days_to_close": round(median, 1) if median is not None else None,
    }


# --- privacy ------------------------------------------------------------------------------------


def apply_retention(
    session: Session, *, days_after_close: int, days_max: int, ip_hash_hours: int
) -> dict[str, int]:
    """Delete contact data and subscriptions past their retention period; wipe old IP hashes."""
    now = utcnow()
    expired_reports = select(Report.id).where(
        or_(
            Report.closed_at < now - timedelta(days=days_after_close),
            Report.requested_at < now - timedelta(days=days_max),
        )
    )
    contacts = session.execute(delete(ReportContact).where(ReportContact.report_id.in_(expired_reports)))
    subs = session.execute(delete(Subscription).where(Subscription.report_id.in_(expired_reports)))
    wiped = session.execute(
        update(ReportContact)
        .where(ReportContact.ip_hash != "", ReportContact.created_at < now - timedelta(hours=ip_hash_hours))
        .values(ip_hash="")
    )
    return {
        "contacts_deleted": contacts.rowcount or 0,
        "subscriptions_deleted": subs.rowcount or 0,
        "ip_hashes_wiped": wiped.rowcount or 0,
    }


def round_to_grid(lat: float, lon: float, metres: float = 100.0) -> tuple[float, float]:
    """Snap a point to the centre of a ~``metres`` grid cell (for anonymised publication)."""
    step_lat = metres / 111_320
    step_lon = metres / (111_320 * math.cos(math.radians(lat)))
    glat = (math.floor(lat / step_lat) + 0.5) * step_lat
    glon = (math.floor(lon / step_lon) + 0.5) * step_lon
    return round(glat, 5), round(glon, 5)
