"""Core pages: log-in with a session cookie, CSRF-protected forms, role-gated workspace, languages."""

from __future__ import annotations

import re

from helpers import PASSWORD


def web_login(client, username: str, password: str = PASSWORD):
    return client.post(
        "/anmelden",
        data={"username": username, "password": password, "next": "/arbeitsbereich"},
        follow_redirects=False,
    )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_start_page_is_german_first_with_english(client):
    page = client.get("/")
    assert page.status_code == 200 and '<html lang="de">' in page.text and "Stadt Gelsenkirchen" in page.text
    assert "Zum Inhalt springen" in page.text
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Skip to content" in english.text
    assert 'href="/arbeitsbereich"' not in page.text  # staff entry hidden from visitors


def test_login_session_workspace_and_logout(client, world):
    assert client.get("/arbeitsbereich", follow_redirects=False).headers["location"].startswith("/anmelden")
    wrong = web_login(client, "city.admin", "wrong password")
    assert wrong.status_code == 401 and "falsch" in wrong.text
    ok = web_login(client, "city.admin")
    assert ok.status_code == 303 and ok.headers["location"] == "/arbeitsbereich"
    cookie = ok.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    workspace = client.get("/arbeitsbereich")
    assert "Angemeldet als city.admin" in workspace.text and "/arbeitsbereich/protokoll" in workspace.text
    audit = client.get("/arbeitsbereich/protokoll")
    assert audit.status_code == 200 and "login" in audit.text
    forged = client.post("/abmelden", data={"csrf": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    out = client.post("/abmelden", data={"csrf": csrf_of(workspace.text)}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    assert client.get("/arbeitsbereich", follow_redirects=False).status_code == 303


def test_admin_creates_api_key_in_the_browser_and_sees_it_once(client, world):
    web_login(client, "net.admin")
    page = client.get("/arbeitsbereich/schluessel")
    created = client.post(
        "/arbeitsbereich/schluessel",
        data={"csrf": csrf_of(page.text), "name": "LNS", "tenant": "gelsen-net", "role": "operator"},
    )
    assert created.status_code == 200
    key = re.search(r'<code class="secret">(gck_[^<]+)</code>', created.text).group(1)
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"}).json()["role"] == "operator"
    )
    assert key not in client.get("/arbeitsbereich/schluessel").text
    refused = client.post(
        "/arbeitsbereich/schluessel",
        data={"csrf": csrf_of(page.text), "name": "x", "tenant": "stadt-gelsenkirchen", "role": "viewer"},
    )
    assert refused.status_code == 400 and "may not administer" in refused.text


def test_workspace_pages_are_role_gated(client, world):
    web_login(client, "city.viewer")
    assert client.get("/arbeitsbereich").status_code == 200
    assert client.get("/arbeitsbereich/protokoll").status_code == 403
    assert client.get("/arbeitsbereich/benutzer").status_code == 403


def test_cross_site_login_posts_are_refused(client, world):
    response = client.post(
        "/anmelden",
        data={"username": "city.admin", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_open_redirect_after_login_is_prevented(client, world):
    response = client.post(
        "/anmelden",
        data={"username": "city.admin", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/arbeitsbereich"


def test_browsers_get_html_errors_and_api_clients_json(client):
    html = client.get("/arbeitsbereich/protokoll", headers={"Accept": "text/html"})
    assert html.status_code == 401 and "<h1>Anmeldung erforderlich</h1>" in html.text
    api = client.get("/api/v1/audit", headers={"Accept": "text/html"})
    assert api.status_code == 401 and api.json()["error"]["code"] == "unauthorized"
