"""Writes on behalf of citizens, who are anonymous to the platform.

The classification layer only lets principals with a writer role in a tenant write that tenant's
records, so an anonymous citizen cannot create a report. Everything a citizen may change goes
through this module, which acts as a narrow, dedicated principal of the city tenant
(:func:`city_intake_principal`: an editor of that one tenant, not the all-powerful system) and
only after validation and rate limiting:

* :func:`submit_report_as_city` — the ONE function that turns a submission into a report,
* subscription confirm/cancel, "is it fixed?" feedback and subscriber notifications.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from weakref import WeakKeyDictionary

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import Jurisdiction, plugin_settings
from gelsencloud.apps.maengelmelder.geocoding import GeocoderUnavailable, GeoResult, geocoder_from_settings
from gelsencloud.apps.maengelmelder.mail import MailBackend
from gelsencloud.apps.maengelmelder.models import Report, ReportContact, Subscription
from gelsencloud.apps.maengelmelder.photos import PhotoRejected, clean_photo
from gelsencloud.core.db import Database
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import Tenant, utcnow
from gelsencloud.core.principal import Principal, Role

LOGGER = logging.getLogger(__name__)
MAX_NAME = 100
_EMAIL_OK = svc._EMAIL
UNPLACED_NOTICE = (
    "Die Adresse wurde nicht automatisch auf der Karte gefunden; die Meldung wird von Hand verortet."
)


class RateLimited(Exception):
    """Too many submissions from one IP address or e-mail address."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def city_intake_principal(tenant_id: int) -> Principal:
    """The dedicated principal citizen submissions act as: an editor of the city tenant only."""
    return Principal(kind="service", tenant_id=tenant_id, role=Role.EDITOR, name="maengelmelder:intake")


_TENANT_IDS: WeakKeyDictionary[Database, dict[str, int]] = WeakKeyDictionary()


def tenant_id_of(db: Database, jurisdiction: Jurisdiction) -> int:
    """Return the tenant id bound to a jurisdiction (remembered per database: ids never change)."""
    known = _TENANT_IDS.setdefault(db, {})
    if jurisdiction.tenant in known:
        return known[jurisdiction.tenant]
    with db.transaction() as session:  # tenants are a public directory
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == jurisdiction.tenant))
    if tenant_id is None:  # not remembered: the tenant may still be created
        raise NotFound(f"jurisdiction {jurisdiction.id} has no tenant {jurisdiction.tenant!r}")
    known[jurisdiction.tenant] = tenant_id
    return tenant_id


def ip_hash(secret_key: str, ip: str | None) -> str:
    """Salted hash of the client IP (kept only for rate limiting, wiped after a few hours)."""
    return hashlib.sha256(f"{secret_key}|mm-ip|{ip or '-'}".encode()).hexdigest()


def client_ip(request) -> str | None:
    """The citizen's IP for rate limits: X-Forwarded-For is honoured only from trusted proxies."""
    direct = request.client.host if request.client else None
    trusted = []
    for part in request.app.state.settings.trusted_proxies.split(","):
        try:
            trusted.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            continue

    def is_trusted(ip: str | None) -> bool:
        try:
            return ip is not None and any(ipaddress.ip_address(ip) in net for net in trusted)
        except ValueError:
            return False

    if not is_trusted(direct):
        return direct
    # Walk from the nearest hop back; the first address that is not a proxy is the client.
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            return hop
    return direct


@dataclass
class Submission:
    """A citizen's submission as received (strings and raw uploads), before validation."""

    jurisdiction: Jurisdiction
    service_code: str
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    description: str = ""
    media_url: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""
    uploads: list[bytes] = field(default_factory=list)
    channel: str = "open311"
    api_key_id: int | None = None
    client_ip: str | None = None


@dataclass(frozen=True)
class SubmissionResult:
    """What the citizen gets back: the id when published at once, otherwise only the token."""

    report_id: int
    token: str
    published: bool
    notice: str


def _geocode(sub: Submission, bbox) -> GeoResult | None:
    """Place an address-only submission, or find the address of a pin-only one (None if not possible)."""
    settings = plugin_settings()
    point_given = bool(sub.lat.strip() or sub.long.strip())
    address = sub.address_string.strip()
    if point_given == bool(address):
        return None  # both given (nothing to fill) or neither (a validation error follows)
    if point_given and not settings.reverse_geocode:
        return None
    try:
        geocoder = geocoder_from_settings(settings)
        if geocoder is None:
            return None
        if not point_given:
            return geocoder.geocode(address, bbox)
        try:
            lat, lon = float(sub.lat), float(sub.long)
        except ValueError:
            return None  # validation reports the bad coordinates
        return geocoder.reverse(lat, lon, bbox)
    except (GeocoderUnavailable, ValueError, OSError) as exc:
        # The spec accepts an address without coordinates; staff place it by hand.
        LOGGER.warning("geocoding failed, report kept without it: %s", exc)
        return None


def _validate(
    session: Session, sub: Submission, tenant_id: int, bbox, geo: GeoResult | None = None
) -> svc.NewReport:
    problems: list[str] = []
    if not sub.service_code.strip():
        raise svc.ValidationProblems(["service_code is required"])
    try:
        service = svc.get_service(session, tenant_id, sub.service_code.strip())
    except NotFound:
        raise svc.ValidationProblems([f"service_code {sub.service_code!r} does not exist"]) from None
    lat = lon = None
    if sub.lat.strip() or sub.long.strip():
        try:
            lat, lon = float(sub.lat), float(sub.long)
        except ValueError:
            problems.append("lat and long must both be given as decimal degrees (WGS84)")
        else:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                problems.append("lat/long out of range")
            elif not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
                problems.append("the location lies outside the jurisdiction")
    elif not sub.address_string.strip() and not sub.address_id.strip():
        problems.append("a location is required: lat and long, address_string or address_id")
    if sub.media_url.strip() and not sub.media_url.strip().lower().startswith(("http://", "https://")):
        problems.append("media_url must be an http(s) URL")
    if sub.email.strip() and not _EMAIL_OK.fullmatch(sub.email.strip()):
        problems.append("email is not a valid e-mail address")
    for name in ("first_name", "last_name", "phone", "device_id", "account_id"):
        if len(getattr(sub, name)) > MAX_NAME:
            problems.append(f"{name} is longer than {MAX_NAME} characters")
    try:
        description = svc.validate_description(sub.description)
    except InvalidInput as exc:
        problems.append(str(exc))
        description = ""
    try:
        attributes = svc.validate_attributes(service, sub.attributes)
    except svc.ValidationProblems as exc:
        problems.extend(exc.problems)
        attributes = {}
    settings = plugin_settings()
    photos = []
    if len(sub.uploads) > settings.max_photos:
        problems.append(f"at most {settings.max_photos} photos per report")
    else:
        for number, data in enumerate(sub.uploads, start=1):
            try:
                photos.append(
                    clean_photo(data, max_bytes=settings.max_photo_bytes, max_edge=settings.photo_max_edge)
                )
            except PhotoRejected as exc:
                problems.append(f"Foto {number}: {exc}")
    if problems:
        raise svc.ValidationProblems(problems)
    address = sub.address_string.strip()[:300]
    location_source = "pin" if lat is not None else ""
    address_source = "citizen" if address else ""
    zipcode = ""
    if geo is not None and lat is None:
        lat, lon, location_source, zipcode = geo.lat, geo.lon, "geocoder", geo.zipcode
    elif geo is not None and not address:
        address, address_source, zipcode = geo.address[:300], "geocoder", geo.zipcode
    return svc.NewReport(
        service=service,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        zipcode=zipcode[:10],
        location_source=location_source,
        address_source=address_source,
        address_id=sub.address_id.strip()[:100],
        attributes=attributes,
        media_url=sub.media_url.strip()[:500],
        photos=photos,
        email=sub.email,
        first_name=sub.first_name,
        last_name=sub.last_name,
        phone=sub.phone,
        device_id=sub.device_id,
        account_id=sub.account_id,
        channel=sub.channel,
        api_key_id=sub.api_key_id,
    )


def _check_rate_limits(session: Session, ip: str, email: str) -> None:
    settings = plugin_settings()
    now = utcnow()
    per_ip = session.scalar(
        select(func.count())
        .select_from(ReportContact)
        .where(ReportContact.ip_hash == ip, ReportContact.created_at > now - timedelta(hours=1))
    )
    if per_ip >= settings.rate_limit_per_ip_hour:
        raise RateLimited(
            f"Zu viele Meldungen von diesem Anschluss (höchstens {settings.rate_limit_per_ip_hour} pro Stunde). "
            "Bitte versuchen Sie es später erneut.",
            3600,
        )
    if email:
        per_mail = session.scalar(
            select(func.count())
            .select_from(ReportContact)
            .where(ReportContact.email == email.lower(), ReportContact.created_at > now - timedelta(days=1))
        )
        if per_mail >= settings.rate_limit_per_email_day:
            raise RateLimited(
                f"Zu viele Meldungen mit dieser E-Mail-Adresse (höchstens {settings.rate_limit_per_email_day} "
                "pro Tag). Bitte versuchen Sie es morgen erneut.",
                86400,
            )


def submit_report_as_city(db: Database, secret_key: str, bbox, sub: Submission) -> SubmissionResult:
    """Validate, rate-limit and store a citizen's report, acting as the city's intake principal.

    This is the only way an anonymous caller (or an API key of any tenant) creates a report.
    Raises ``ValidationProblems`` (400), ``RateLimited`` (429) or ``NotFound`` (jurisdiction).
    """
    tenant_id = tenant_id_of(db, sub.jurisdiction)
    hashed_ip = ip_hash(secret_key, sub.client_ip)
    geo = None
    if bool(sub.lat.strip() or sub.long.strip()) != bool(sub.address_string.strip()):
        # Refuse over-limit clients before a geocoder is asked on their behalf.
        with db.transaction(city_intake_principal(tenant_id)) as session:
            _check_rate_limits(session, hashed_ip, sub.email.strip())
        geo = _geocode(sub, bbox)
    with db.transaction(city_intake_principal(tenant_id)) as session:
        new = _validate(session, sub, tenant_id, bbox, geo)
        new.ip_hash = hashed_ip
        _check_rate_limits(session, new.ip_hash, new.email.strip())
        report = svc.create_report(session, new, premoderate=sub.jurisdiction.premoderate_reports)
        published = report.classification == "public"
        notices = []
        if report.lat is None:
            notices.append(UNPLACED_NOTICE)
        if not published:
            notices.append("Ihre Meldung wird vor der Veröffentlichung geprüft.")
        if new.photos:
            notices.append("Fotos werden nach einer Prüfung veröffentlicht.")
        return SubmissionResult(report.id, report.token, published, " ".join(notices))


def lookup_token_as_city(db: Database, tenant_id: int, token: str) -> int | None | bool:
    """Resolve a submission token: the report id once public, None while pending, False if unknown."""
    with db.transaction(city_intake_principal(tenant_id)) as session:
        row = session.execute(
            select(Report.id, Report.classification).where(
                Report.token == token, Report.tenant_id == tenant_id
            )
        ).first()
    if row is None:
        return False
    return row.id if row.classification == "public" else None


def _public_report(db: Database, report_id: int) -> Report:
    with db.transaction() as session:  # anonymous: only public reports exist
        return svc.get_report(session, report_id)


def subscribe_as_city(db: Database, report_id: int, email: str) -> str | None:
    """Create an unconfirmed subscription to a public report; return its token (None if it exists)."""
    email = email.strip().lower()
    if not _EMAIL_OK.fullmatch(email):
        raise InvalidInput("Bitte geben Sie eine gültige E-Mail-Adresse an.")
    report = _public_report(db, report_id)
    with db.transaction(city_intake_principal(report.tenant_id)) as session:
        exists = session.scalar(
            select(Subscription.id).where(Subscription.report_id == report.id, Subscription.email == email)
        )
        if exists:
            return None
        token = secrets.token_urlsafe(24)
        session.add(
            Subscription(
                tenant_id=report.tenant_id,
                classification="personal",
                report_id=report.id,
                email=email,
                token=token,
            )
        )
        return token


def confirm_subscription_as_city(db: Database, token: str, *, cancel: bool = False) -> int | None:
    """Confirm (double opt-in) or cancel a subscription by its token; return the report id."""
    with db.transaction() as session:
        tenants = list(session.scalars(select(Tenant.id)))
    for tenant_id in tenants:  # the token is secret and unique; the tenant is not known up front
        with db.transaction(city_intake_principal(tenant_id)) as session:
            sub = session.scalar(select(Subscription).where(Subscription.token == token))
            if sub is None:
                continue
            report_id = sub.report_id
            if cancel:
                session.delete(sub)
            else:
                sub.confirmed = True
            return report_id
    return None


def record_feedback_as_city(db: Database, report_id: int, *, fixed: bool) -> None:
    """Record a citizen's "is it fixed?" answer on a public report."""
    report = _public_report(db, report_id)
    with db.transaction(city_intake_principal(report.tenant_id)) as session:
        svc.record_feedback(session, svc.get_report(session, report_id), fixed=fixed)


def notify_subscribers_as_city(db: Database, report_id: int, mailer: MailBackend, link: str) -> int:
    """Mail the current public status of a report to its confirmed subscribers; return how many."""
    with db.transaction() as session:
        report = session.scalar(select(Report).where(Report.id == report_id))
        if report is None:  # not public: nothing to tell the public
            return 0
        tenant_id, status = report.tenant_id, report.status
        notes = svc.notes_of(session, [report_id])[report_id]
    from gelsencloud.apps.maengelmelder.workflow import STATUSES

    text = notes[-1].text if notes else ""
    with db.transaction(city_intake_principal(tenant_id)) as session:
        subs = list(
            session.scalars(
                select(Subscription).where(
                    Subscription.report_id == report_id, Subscription.confirmed.is_(True)
                )
            )
        )
        recipients = [(s.email, s.token) for s in subs]
    for email, token in recipients:
        mailer.send(
            email,
            f"GE-meldet: Meldung {report_id} – {STATUSES[status].label_de}",
            f"Neuer Stand Ihrer abonnierten Meldung {report_id}: {STATUSES[status].label_de}\n\n{text}\n\n"
            f"Details: {link}\nAbbestellen: {link.rsplit('/meldungen/', 1)[0]}/meldungen/abo/{token}/abbestellen\n",
        )
    return len(recipients)
