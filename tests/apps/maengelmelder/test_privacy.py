"""Privacy of GE-meldet: photo metadata, personal records, retention, nothing personal in public."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from gelsencloud.apps.maengelmelder import citizen_gateway as gateway
from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import catalogue
from gelsencloud.apps.maengelmelder.models import Report, ReportContact, Subscription
from gelsencloud.apps.maengelmelder.photos import PhotoRejected, clean_photo
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import SYSTEM, Principal, Role
from helpers import auth

BBOX = (6.990, 51.484, 7.150, 51.628)


def gps_jpeg(size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    exif[0x0112] = 6  # orientation: rotate 90° when displayed
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (51.0, 30.0, 5.0), "E", (7.0, 5.0, 42.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def submission(**kw) -> gateway.Submission:
    base = {
        "jurisdiction": catalogue().jurisdiction(None),
        "service_code": "ablagerung",
        "lat": "51.516",
        "long": "7.095",
        "attributes": {"menge": ["klein"]},
        "description": "Demo: Säcke am Weg",
        "email": "erika.musterfrau@example.org",
        "first_name": "Erika",
        "last_name": "Musterfrau",
        "phone": "0209 555 0101",
        "client_ip": "203.0.113.7",
    }
    base.update(kw)
    return gateway.Submission(**base)


def test_photos_are_reencoded_without_any_exif_and_orientation_is_applied():
    original = gps_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    clean = clean_photo(original, max_bytes=10_000_000, max_edge=2048)
    image = Image.open(io.BytesIO(clean.content))
    assert len(image.getexif()) == 0 and b"Exif" not in clean.content and b"DemoCam" not in clean.content
    assert image.size == (480, 640) == (clean.width, clean.height)  # rotated by the orientation tag
    big = clean_photo(gps_jpeg((3000, 1000)), max_bytes=10_000_000, max_edge=1024)
    assert (big.width, big.height) == (341, 1024)  # rotated, then the longest edge limited
    png = io.BytesIO()
    Image.new("RGBA", (10, 10)).save(png, "PNG")
    assert (
        Image.open(io.BytesIO(clean_photo(png.getvalue(), max_bytes=10**6, max_edge=64).content)).format
        == "JPEG"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "leer"),
        (b"GIF89a" + b"0" * 100, "kein lesbares Foto"),
        (b"x" * 5000, "kein lesbares Foto"),
    ],
)
def test_photos_that_are_not_accepted_get_clear_messages(data, message):
    with pytest.raises(PhotoRejected, match=message):
        clean_photo(data, max_bytes=10**6, max_edge=64)


def test_photo_size_and_type_limits():
    with pytest.raises(PhotoRejected, match="zu groß"):
        clean_photo(gps_jpeg(), max_bytes=2000, max_edge=64)
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(PhotoRejected, match="JPEG, PNG oder WebP"):
        clean_photo(gif.getvalue(), max_bytes=10**6, max_edge=64)


@pytest.mark.usefixtures("backend")
def test_reporter_data_is_a_separate_personal_record(db, world, city_id):
    result = gateway.submit_report_as_city(db, "secret", BBOX, submission(uploads=[gps_jpeg()]))
    assert result.published
    viewer = Principal(kind="user", tenant_id=city_id, role=Role.VIEWER, name="viewer")
    editor = Principal(kind="user", tenant_id=city_id, role=Role.EDITOR, name="editor")
    outsider = Principal(kind="user", tenant_id=world.tenants["gelsen-net"], role=Role.TENANT_ADMIN, name="x")
    for principal, sees_contact in [(None, False), (outsider, False), (viewer, False), (editor, True)]:
        with db.transaction(principal) as session:
            report = svc.get_report(session, result.report_id)
            assert not hasattr(report, "email")
            contact = svc.contact_of(session, report.id)
            assert (contact is not None) == sees_contact
            if contact:
                assert (
                    contact.email == "erika.musterfrau@example.org" and contact.classification == "personal"
                )
                assert contact.ip_hash and "203.0.113.7" not in contact.ip_hash
    # anonymous callers cannot write through the ORM: only the gateway's city principal can
    with pytest.raises(PermissionDenied):
        with db.transaction() as session:
            svc.create_report(
                session,
                svc.NewReport(service=svc.get_service(session, city_id, "ablagerung"), lat=51.5, lon=7.1),
            )


def test_the_intake_principal_is_narrow(db, world, city_id):
    principal = gateway.city_intake_principal(city_id)
    assert not principal.is_system and principal.role == Role.EDITOR
    assert principal.can_write(city_id) and not principal.can_write(world.tenants["gelsen-net"])


def test_retention_deletes_contacts_and_subscriptions_and_wipes_ip_hashes(db, world, city_id):
    keep = gateway.submit_report_as_city(db, "s", BBOX, submission())
    old = gateway.submit_report_as_city(db, "s", BBOX, submission(email="zweite@example.org"))
    gateway.subscribe_as_city(db, old.report_id, "abo@example.org")
    with db.transaction(SYSTEM) as session:
        report = svc.get_report(session, old.report_id)
        svc.change_status(session, report, "fixed", author="t")
        report.closed_at = utcnow() - timedelta(days=40)
        for contact in session.scalars(select(ReportContact)):
            contact.created_at = utcnow() - timedelta(days=3)
        done = svc.apply_retention(session, days_after_close=30, days_max=365, ip_hash_hours=48)
    assert done == {"contacts_deleted": 1, "subscriptions_deleted": 1, "ip_hashes_wiped": 1}
    with db.transaction(SYSTEM) as session:
        contacts = list(session.scalars(select(ReportContact)))
        assert [c.report_id for c in contacts] == [keep.report_id] and contacts[0].ip_hash == ""
        assert contacts[0].email  # still needed while the report is open
        assert session.scalar(select(Subscription)) is None
        assert session.get(Report, old.report_id) is not None  # the report itself stays


def test_retention_job_is_registered_and_runs(db, world, city_id, registry, settings):
    from gelsencloud.core.plugins import JobContext

    job = next(j for j in registry.jobs() if j.name == "maengelmelder.retention")
    message = job.run(JobContext(db=db, settings=settings))
    assert "contacts_deleted=0" in message


@pytest.mark.usefixtures("backend")
def test_anonymous_and_other_tenants_never_see_personal_or_pending_data(app, db, world, city_id):
    published = gateway.submit_report_as_city(db, "s", BBOX, submission(uploads=[gps_jpeg()]))
    pending = gateway.submit_report_as_city(
        db, "s", BBOX, submission(description="Geheim: ruf an unter 0209 777 8888", client_ip="198.51.100.1")
    )
    assert published.published and not pending.published
    with db.transaction(SYSTEM) as session:
        svc.add_internal_note(session, svc.get_report(session, published.report_id), "INTERN-NOTIZ-42")
        photo_id = svc.photos_of(session, [published.report_id])[published.report_id][0].id
    secrets_ = [
        "erika.musterfrau",
        "Musterfrau",
        "Erika",
        "0209 555 0101",
        "0209 777 8888",
        "INTERN-NOTIZ-42",
    ]
    urls = [
        "/open311/v2/requests.json?extensions=true",
        "/open311/v2/requests.xml?extensions=true",
        f"/open311/v2/requests/{published.report_id}.json?extensions=true",
        f"/open311/v2/requests/{pending.report_id}.json",
        f"/open311/v2/requests/{pending.report_id}.xml",
        "/api/v1/maengelmelder/reports",
        f"/api/v1/maengelmelder/reports/{pending.report_id}",
        "/api/v1/maengelmelder/open-data",
        "/meldungen",
        f"/meldungen/{published.report_id}",
        f"/meldungen/{pending.report_id}",
        f"/api/v1/maengelmelder/photos/{photo_id}.jpg",
    ]
    with TestClient(app) as client:
        for headers in ({}, auth(world.keys["net.admin"])):
            for url in urls:
                response = client.get(url, headers=headers)
                assert response.status_code < 500, url
                for secret in secrets_:
                    assert secret not in response.text, (url, secret)
            assert (
                client.get(f"/api/v1/maengelmelder/reports/{pending.report_id}", headers=headers).status_code
                == 404
            )
            assert client.get(f"/meldungen/{pending.report_id}", headers=headers).status_code == 404
            assert (
                client.get(f"/api/v1/maengelmelder/photos/{photo_id}.jpg", headers=headers).status_code == 404
            )
        # the city's own staff see the pending report and the unapproved photo through the platform API
        own = auth(world.keys["city.viewer"])
        assert (
            client.get(f"/api/v1/maengelmelder/reports/{pending.report_id}", headers=own).status_code == 200
        )
        assert client.get(f"/api/v1/maengelmelder/photos/{photo_id}.jpg", headers=own).status_code == 200
        # ... but the Open311 interface stays the public face even for them
        assert client.get(f"/open311/v2/requests/{pending.report_id}.json", headers=own).status_code == 404
