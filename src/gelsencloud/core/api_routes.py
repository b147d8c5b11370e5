"""The core's JSON API: health, log-in, tenants, users, API keys, audit log and the city profile."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gelsencloud import __version__
from gelsencloud.core import audit, identity, migrate
from gelsencloud.core.auth import DbSession, LoggedIn
from gelsencloud.core.city import areas_feature_collection
from gelsencloud.core.models import ApiKey, AuditEntry, Tenant, User


class TokenOut(BaseModel):
    """A bearer token as issued by the log-in endpoint (OAuth2 password-flow shape)."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class TenantIn(BaseModel):
    """A tenant to create."""

    slug: str = Field(examples=["gelsen-net"])
    name: str
    website: str | None = None


class TenantOut(BaseModel):
    """A tenant."""

    id: int
    slug: str
    name: str
    website: str | None


class UserIn(BaseModel):
    """A user to create."""

    username: str
    password: str = Field(min_length=10)
    tenant: str = Field(description="tenant slug")
    role: str = Field(examples=["editor"])
    display_name: str = ""
    email: str | None = None


class UserOut(BaseModel):
    """A user (never with the password hash)."""

    id: int
    username: str
    display_name: str
    tenant_id: int
    role: str
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None


class ApiKeyIn(BaseModel):
    """An API key to issue."""

    tenant: str = Field(description="tenant slug")
    role: str
    name: str
    expires_at: datetime | None = None


class ApiKeyOut(BaseModel):
    """An API key's public facts; ``key`` is present only in the response that created it."""

    prefix: str
    name: str
    tenant_id: int
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    key: str | None = None


class AuditOut(BaseModel):
    """One audit-log entry."""

    id: int
    at: datetime
    actor_kind: str
    actor_name: str
    tenant_id: int | None
    action: str
    entity: str
    entity_id: str | None
    changes: dict | None
    request_id: str | None


def _user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def _key_out(key: ApiKey, secret: str | None = None) -> ApiKeyOut:
    out = ApiKeyOut.model_validate(key, from_attributes=True)
    out.key = secret
    return out


def build_router() -> APIRouter:
    """The core's routes: health probes and /api/v1 (one flat router, as the plugin contract asks)."""
    router = APIRouter()
    _add_health_routes(router)
    _add_api_routes(router)
    return router


def _add_health_routes(router: APIRouter) -> None:
    """Liveness and readiness probes for load balancers and orchestrators."""

    @router.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """Report that the process is alive."""
        return {"status": "ok", "version": __version__}

    @router.get("/readyz", tags=["health"])
    def readyz(request: Request):
        """Report whether the database (and MQTT broker, if configured) is reachable and migrated."""
        checks: dict[str, str] = {}
        db = request.app.state.db
        try:
            db.ping()
            checks["database"] = "ok"
            checks["migrations"] = (
                "ok"
                if migrate.is_current(db, request.app.state.registry)
                else "pending: run `gelsencloud db upgrade`"
            )
        except Exception as exc:  # any driver error means not ready
            checks["database"] = f"unreachable: {type(exc).__name__}"
        mqtt_url = request.app.state.settings.mqtt_url
        if mqtt_url:
            from gelsencloud.core.mqtt import MqttError, ping

            try:
                ping(mqtt_url)
                checks["mqtt"] = "ok"
            except MqttError as exc:
                checks["mqtt"] = f"unreachable: {exc}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
        )


def _add_api_routes(router: APIRouter) -> None:
    """The core's /api/v1 routes."""

    @router.post("/api/v1/auth/token", tags=["auth"], response_model=TokenOut)
    def login(
        request: Request, session: DbSession, username: str = Form(), password: str = Form()
    ) -> TokenOut:
        """Log in with username and password; returns a bearer token (OAuth2 password flow)."""
        settings = request.app.state.settings
        try:
            user = identity.log_in(session, settings, username, password)
        except identity.LoginFailed as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(exc)) from None
        token, record = identity.open_session(session, user, kind="api", hours=settings.session_hours)
        return TokenOut(access_token=token, expires_at=record.expires_at)

    @router.post("/api/v1/auth/logout", tags=["auth"], status_code=204)
    def logout(request: Request, session: DbSession, principal: LoggedIn) -> None:
        """Revoke the bearer token used for this request."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.startswith("gck_"):
            raise HTTPException(
                400, detail="log-out needs the bearer token from /api/v1/auth/token; revoke API keys instead"
            )
        identity.close_session(session, token.strip())

    @router.get("/api/v1/auth/me", tags=["auth"])
    def me(principal: LoggedIn) -> dict:
        """Describe the authenticated caller."""
        return {k: v for k, v in asdict(principal).items() if k != "session_id"}

    @router.get("/api/v1/tenants", tags=["tenants"], response_model=list[TenantOut])
    def tenants(session: DbSession) -> list[Tenant]:
        """List the organisations using the platform (public)."""
        return identity.list_tenants(session)

    @router.post("/api/v1/tenants", tags=["tenants"], response_model=TenantOut, status_code=201)
    def create_tenant(body: TenantIn, session: DbSession, principal: LoggedIn) -> Tenant:
        """Create a tenant (platform administrators)."""
        return identity.create_tenant(session, slug=body.slug, name=body.name, website=body.website)

    @router.get("/api/v1/users", tags=["users"], response_model=list[UserOut])
    def users(session: DbSession, principal: LoggedIn, tenant: str | None = None) -> list[UserOut]:
        """List users of the caller's tenant (or any tenant, for platform administrators)."""
        scope = identity.get_tenant(session, tenant) if tenant else None
        return [_user_out(u) for u in identity.list_users(session, scope)]

    @router.post("/api/v1/users", tags=["users"], response_model=UserOut, status_code=201)
    def create_user(body: UserIn, session: DbSession, principal: LoggedIn) -> UserOut:
        """Create a user (tenant or platform administrators)."""
        tenant = identity.get_tenant(session, body.tenant)
        user = identity.create_user(
            session,
            username=body.username,
            password=body.password,
            tenant=tenant,
            role=body.role,
            display_name=body.display_name,
            email=body.email,
        )
        return _user_out(user)

    @router.get("/api/v1/apikeys", tags=["api keys"], response_model=list[ApiKeyOut])
    def api_keys(session: DbSession, principal: LoggedIn, tenant: str | None = None) -> list[ApiKeyOut]:
        """List API keys (never their secrets)."""
        scope = identity.get_tenant(session, tenant) if tenant else None
        return [_key_out(k) for k in identity.list_api_keys(session, scope)]

    @router.post("/api/v1/apikeys", tags=["api keys"], response_model=ApiKeyOut, status_code=201)
    def create_api_key(body: ApiKeyIn, session: DbSession, principal: LoggedIn) -> ApiKeyOut:
        """Issue an API key; the secret `key` is in this response only."""
        tenant = identity.get_tenant(session, body.tenant)
        issued = identity.create_api_key(
            session, tenant=tenant, role=body.role, name=body.name, expires_at=body.expires_at
        )
        return _key_out(issued.record, issued.key)

    @router.delete("/api/v1/apikeys/{prefix}", tags=["api keys"], response_model=ApiKeyOut)
    def revoke_api_key(prefix: str, session: DbSession, principal: LoggedIn) -> ApiKeyOut:
        """Revoke an API key by its prefix."""
        return _key_out(identity.revoke_api_key(session, prefix))

    @router.get("/api/v1/audit", tags=["audit"], response_model=list[AuditOut])
    def audit_log(
        session: DbSession,
        principal: LoggedIn,
        entity: str | None = None,
        action: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        """Query the audit log, newest first (administrators; tenant admins see their tenant)."""
        return audit.query(session, entity=entity, action=action, limit=limit, before_id=before_id)

    @router.get("/api/v1/city", tags=["city"])
    def city(request: Request) -> dict:
        """Return the city profile: name, official keys, extent and districts."""
        profile = request.app.state.city
        data = asdict(profile)
        data.pop("outline")
        return data

    @router.get("/api/v1/city/areas", tags=["city"])
    def city_areas(session: DbSession, level: str | None = None) -> JSONResponse:
        """Return districts (level=stadtbezirk) and quarters (level=stadtteil) as GeoJSON."""
        if level not in (None, "stadtbezirk", "stadtteil"):
            raise HTTPException(400, detail="level must be 'stadtbezirk' or 'stadtteil'")
        return JSONResponse(areas_feature_collection(session, level), media_type="application/geo+json")

    @router.get("/api/v1/plugins", tags=["platform"])
    def plugins(request: Request) -> list[dict]:
        """List the loaded plugins and what each contributes."""
        registry = request.app.state.registry
        return [
            {
                "name": p.name,
                "title_de": p.title_de,
                "title_en": p.title_en,
                "nav": [e.path for e in p.nav],
                "jobs": [j.name for j in p.jobs],
                "kpi_providers": [list(k.kpi_ids) for k in p.kpi_providers],
                "ingestors": [i.name for i in p.ingestors],
                "has_demo": p.demo is not None,
            }
            for p in registry.plugins
        ]
