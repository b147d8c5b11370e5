"""Citizen pages and the back office, driven through HTTP like a browser."""

from __future__ import annotations

import io
import re
from email import message_from_bytes

from PIL import Image

from gelsencloud.core.auth import SESSION_COOKIE
from gelsencloud.core.security import csrf_token
from helpers import PASSWORD

FORM = {
    "lat": "51.5160",
    "lon": "7.0950",
    "address": "Demo-Weg 5",
    "attr-menge": "gross",
    "attr-art": ["bauschutt", "reifen"],
    "description": "Demo: Bauschutt am Feldrand",
    "name": "Max Mustermann",
    "email": "max.mustermann@example.org",
    "notify": "ja",
}


def jpeg() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8825)[1] = "N"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 5.0)
    Image.new("RGB", (32, 32), (0, 255, 0)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def mails(settings) -> list:
    folder = settings.var_dir / "mail"
    return (
        [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []
    )


def log_in(client, settings, username: str) -> str:
    response = client.post(
        "/anmelden", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    return csrf_token(settings.secret_key, client.cookies[SESSION_COOKIE])


def submit(client, data=FORM, files=None):
    return client.post("/melden/ablagerung", data=data, files=files or [], follow_redirects=False)


def test_citizen_journey(client, city_id, settings, monkeypatch):
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_MAIL_BACKEND", "file")
    choose = client.get("/melden")
    assert (
        choose.status_code == 200
        and "Illegale Müllablagerung" in choose.text
        and "Sperrmüllabholung" in choose.text
    )
    form = client.get("/melden/ablagerung")
    assert form.status_code == 200
    for snippet in (
        '<label for="description">',
        'id="mm-picker"',
        'name="attr-art"',
        'name="website"',
        'lang="de"',
    ):
        assert snippet in form.text
    response = submit(client, files=[("fotos", ("a.jpg", jpeg(), "image/jpeg"))])
    assert response.status_code == 303
    status_page = client.get(response.headers["location"])
    assert status_page.status_code == 200 and "Vielen Dank" in status_page.text
    rid = int(re.search(r"/meldungen/(\d+)", status_page.text).group(1))
    detail = client.get(f"/meldungen/{rid}")
    assert detail.status_code == 200 and "Bauschutt am Feldrand" in detail.text
    assert "Mustermann" not in detail.text and "max.mustermann" not in detail.text
    listing = client.get("/meldungen")
    assert (
        listing.status_code == 200
        and f'href="/meldungen/{rid}"' in listing.text
        and "<caption>" in listing.text
    )
    assert "Mustermann" not in listing.text
    # double opt-in: the reporter got a confirmation mail; confirm it, then a status change is mailed
    [confirm_mail] = mails(settings)
    assert confirm_mail["To"] == "max.mustermann@example.org"
    link = re.search(
        r"(/meldungen/abo/[^/\s]+/bestaetigen)", confirm_mail.get_payload(decode=True).decode()
    ).group(1)
    assert client.get(link).status_code == 200
    assert "Erledigt" in client.post(link).text
    feedback = client.post(f"/meldungen/{rid}/rueckmeldung", data={"behoben": "nein"}, follow_redirects=False)
    assert feedback.status_code == 303
    assert len(mails(settings)) == 2  # the feedback note is an update for subscribers
    cancel = link.replace("bestaetigen", "abbestellen")
    assert client.post(cancel).status_code == 200
    assert client.post(cancel).status_code == 404


def test_form_errors_honeypot_and_limits(client, city_id, monkeypatch):
    missing = submit(client, {"description": "ohne Ort"})
    assert missing.status_code == 400 and "Markierung" in missing.text and 'role="alert"' in missing.text
    honeypot = submit(client, FORM | {"website": "http://spam.example"})
    assert honeypot.status_code == 400
    outside = submit(client, FORM | {"lat": "52.52", "lon": "13.40"})
    assert outside.status_code == 400 and "außerhalb" in outside.text
    too_many = submit(client, FORM, files=[("fotos", (f"{i}.jpg", jpeg(), "image/jpeg")) for i in range(4)])
    assert too_many.status_code == 400 and "Höchstens 3 Fotos" in too_many.text
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_MAX_PHOTO_BYTES", "1024")
    raw = io.BytesIO()
    Image.effect_noise((400, 400), 100).convert("RGB").save(raw, "JPEG", quality=95)
    too_big = submit(client, FORM, files=[("fotos", ("big.jpg", raw.getvalue(), "image/jpeg"))])
    assert too_big.status_code == 400 and "zu groß" in too_big.text
    monkeypatch.setenv("GELSENCLOUD_MAENGELMELDER_RATE_LIMIT_PER_EMAIL_DAY", "1")
    assert submit(client).status_code == 303
    limited = submit(client)
    assert limited.status_code == 429 and "E-Mail-Adresse" in limited.text
    assert client.get("/melden/gibt-es-nicht").status_code == 404


def test_back_office(client, city_id, settings, db):
    first = submit(client, FORM | {"email": ""})
    second = submit(client, FORM | {"email": "", "lat": "51.51602", "description": "Demo: gleiche Stelle"})
    assert first.status_code == second.status_code == 303
    assert client.get("/maengelmelder/buero", follow_redirects=False).status_code == 401
    csrf = log_in(client, settings, "city.editor")
    inbox = client.get("/maengelmelder/buero")
    assert inbox.status_code == 200 and "Illegale Müllablagerung" in inbox.text and "<caption>" in inbox.text
    ids = [int(i) for i in re.findall(r'name="ids" value="(\d+)"', inbox.text)]
    assert len(ids) == 2
    older, newer = sorted(ids)
    case = client.get(f"/maengelmelder/buero/{newer}")
    assert case.status_code == 200 and "Mögliche Doppelmeldungen" in case.text
    assert f'value="{older}"' in case.text  # suggested as duplicate
    assert "Max Mustermann" in case.text  # case workers (editors) see the contact
    act = lambda rid, **data: client.post(  # noqa: E731
        f"/maengelmelder/buero/{rid}", data={"csrf": csrf} | data, follow_redirects=False
    )
    assert act(older, aktion="status", status="acknowledged").status_code == 303
    assert act(older, aktion="notiz", text="Kolonne informiert").status_code == 303
    assert (
        act(
            older, aktion="zuweisen", zugewiesen="team-nord", abteilung="stadtreinigung", prioritaet="high"
        ).status_code
        == 303
    )
    assert act(newer, aktion="zusammenfuehren", ziel=older).status_code == 303
    assert (
        client.post(
            f"/maengelmelder/buero/{older}", data={"csrf": "falsch", "aktion": "notiz", "text": "x"}
        ).status_code
        == 403
    )
    detail = client.get(f"/maengelmelder/buero/{older}").text
    assert "Kolonne informiert" in detail and "team-nord" in detail and "als Doppelmeldung" in detail
    public = client.get(f"/meldungen/{older}").text
    assert "Kolonne informiert" not in public and "Vielen Dank für Ihre Meldung" in public
    assert "Doppelmeldung" in client.get(f"/meldungen/{newer}").text
    bulk = client.post(
        "/maengelmelder/buero/sammelaktion",
        data={"csrf": csrf, "aktion": "priority", "wert": "low", "ids": [older, newer]},
        follow_redirects=False,
    )
    assert bulk.status_code == 303
    stats = client.get("/maengelmelder/statistik")
    assert stats.status_code == 200 and "Nach Kategorie" in stats.text and "Gelsenkirchen-Mitte" in stats.text


def test_back_office_refuses_viewers(client, city_id, settings):
    log_in(client, settings, "city.viewer")
    assert client.get("/maengelmelder/buero").status_code == 403


def test_every_german_ui_string_has_english(registry):
    from pathlib import Path

    from gelsencloud.apps.maengelmelder import plugin

    catalogue = registry.translations_en()
    found = set()
    for template in Path(plugin.templates).rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        found |= set(re.findall(r'_\("([^"]+)"', text)) | set(re.findall(r"_\('([^']+)'", text))
    assert len(found) > 100
    missing = sorted(s for s in found if s not in catalogue)
    assert not missing, missing


def test_english_pages(client, city_id):
    page = client.get("/melden/ablagerung?lang=en")
    assert "Use my location" in page.text and "Send report" in page.text and 'lang="en"' in page.text
