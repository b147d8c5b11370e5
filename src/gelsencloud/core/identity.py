"""Service layer for tenants, users, API keys and log-ins (used by API, pages and CLI alike)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.core import audit
from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.models import ApiKey, AuthSession, Tenant, User, utcnow
from gelsencloud.core.principal import Principal, Role
from gelsencloud.core.security import (
    DUMMY_HASH,
    constant_time_equal,
    hash_password,
    new_api_key,
    new_token,
    sha256,
    split_api_key,
    verify_password,
)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{2,100}$")

SEED_TENANTS = [
    ("stadt-gelsenkirchen", "Stadt Gelsenkirchen", "https://www.gelsenkirchen.de"),
    ("gelsen-net", "GELSEN-NET Kommunikationsgesellschaft mbH", "https://www.gelsen-net.de"),
    ("gelsenwasser", "GELSENWASSER AG", "https://www.gelsenwasser.de"),
    ("gelsendienste", "GELSENDIENSTE", "https://www.gelsendienste.de"),
]


class InvalidInput(ValueError):
    """Raised when input to a service function is invalid; the message says what is wrong."""


class NotFound(LookupError):
    """Raised when a named record does not exist (or is not visible)."""


class LoginFailed(Exception):
    """Raised on a failed log-in; the message is safe to show (it never tells which part was wrong)."""


@dataclass
class IssuedKey:
    """An API key as created: the secret is only available here, once."""

    key: str
    record: ApiKey


def _require_admin(session: Session, tenant_id: int | None) -> Principal:
    principal = principal_of(session)
    if not principal.can_administer(tenant_id):
        raise PermissionDenied(f"{principal.name} may not administer tenant {tenant_id}")
    return principal


# --- tenants -----------------------------------------------------------------------------------


def create_tenant(session: Session, *, slug: str, name: str, website: str | None = None) -> Tenant:
    """Create a tenant (platform administrators only)."""
    if not principal_of(session).is_platform_admin:
        raise PermissionDenied("only platform administrators may create tenants")
    if not SLUG_RE.match(slug):
        raise InvalidInput(f"tenant slug {slug!r} must be 2-63 lower-case letters, digits or '-'")
    if not name.strip():
        raise InvalidInput("tenant name must not be empty")
    if session.scalar(select(Tenant).where(Tenant.slug == slug)):
        raise InvalidInput(f"tenant {slug!r} exists already")
    tenant = Tenant(slug=slug, name=name.strip(), website=website)
    session.add(tenant)
    session.flush()
    return tenant


def list_tenants(session: Session) -> list[Tenant]:
    """Return all tenants (names of organisations are public)."""
    return list(session.scalars(select(Tenant).order_by(Tenant.id)))


def get_tenant(session: Session, slug_or_id: str | int) -> Tenant:
    """Return a tenant by slug or id."""
    stmt = select(Tenant)
    if isinstance(slug_or_id, int) or str(slug_or_id).isdigit():
        stmt = stmt.where(Tenant.id == int(slug_or_id))
    else:
        stmt = stmt.where(Tenant.slug == slug_or_id)
    tenant = session.scalar(stmt)
    if tenant is None:
        raise NotFound(f"tenant {slug_or_id!r} not found")
    return tenant


def seed_tenants(session: Session) -> list[Tenant]:
    """Create the four founding tenants if they are missing."""
    existing = {t.slug for t in list_tenants(session)}
    for slug, name, website in SEED_TENANTS:
        if slug not in existing:
            session.add(Tenant(slug=slug, name=name, website=website))
    session.flush()
    return list_tenants(session)


# --- users -------------------------------------------------------------------------------------


def parse_role(value: str) -> Role:
    """Turn a role name into a Role, explaining the choices on error."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            f"unknown role {value!r}; choose one of {', '.join(r.value for r in Role)}"
        ) from None


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    tenant: Tenant,
    role: Role | str,
    display_name: str = "",
    email: str | None = None,
) -> User:
    """Create a user in ``tenant`` (tenant or platform administrators)."""
    principal = _require_admin(session, tenant.id)
    role = parse_role(role) if isinstance(role, str) else role
    if role == Role.PLATFORM_ADMIN and not principal.is_platform_admin:
        raise PermissionDenied("only platform administrators may create platform administrators")
    if not USERNAME_RE.match(username):
        raise InvalidInput("username must be 2-100 characters: letters, digits, '.', '_', '@' or '-'")
    if session.scalar(select(User).where(User.username == username)):
        raise InvalidInput(f"user {username!r} exists already")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    user = User(
        username=username,
        password_hash=password_hash,
        tenant_id=tenant.id,
        role=role.value,
        display_name=display_name or username,
        email=email,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, tenant: Tenant | None = None) -> list[User]:
    """Return the users the acting administrator may see."""
    principal = principal_of(session)
    stmt = select(User).order_by(User.id)
    if tenant is not None:
        _require_admin(session, tenant.id)
        stmt = stmt.where(User.tenant_id == tenant.id)
    elif not principal.is_platform_admin:
        _require_admin(session, principal.tenant_id)
        stmt = stmt.where(User.tenant_id == principal.tenant_id)
    return list(session.scalars(stmt))


def principal_for_user(user: User, session_id: int | None = None) -> Principal:
    """Build the principal of a logged-in user."""
    return Principal(
        kind="user",
        tenant_id=user.tenant_id,
        role=Role(user.role),
        user_id=user.id,
        name=user.username,
        session_id=session_id,
    )


def authenticate(
    session: Session, username: str, password: str, *, max_failures: int, lockout_minutes: int
) -> User:
    """Check a log-in, counting failures and locking the account after too many.

    Commit the session before handling :class:`LoginFailed`, so the failure counter persists.
    """
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is None:
        verify_password(DUMMY_HASH, password)  # same cost as a real check
        raise LoginFailed("Benutzername oder Passwort falsch / wrong username or password")
    if user.locked_until and user.locked_until > now:
        audit.record(
            session, "login_refused", "users", str(user.id), tenant_id=user.tenant_id, reason="locked"
        )
        raise LoginFailed(
            "Konto vorübergehend gesperrt / account temporarily locked until "
            + user.locked_until.strftime("%H:%M UTC")
        )
    if not user.is_active or not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
            audit.record(session, "account_locked", "users", str(user.id), tenant_id=user.tenant_id)
        raise LoginFailed("Benutzername oder Passwort falsch / wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def log_in(session: Session, settings, username: str, password: str) -> User:
    """Check a log-in with the configured lock-out policy; failure counters are committed."""
    try:
        return authenticate(
            session,
            username,
            password,
            max_failures=settings.login_max_failures,
            lockout_minutes=settings.login_lockout_minutes,
        )
    except LoginFailed:
        session.commit()  # the request fails, but the failure count must persist
        raise


def open_session(session: Session, user: User, *, kind: str, hours: int) -> tuple[str, AuthSession]:
    """Start a web session or API bearer token for ``user``; return the token once."""
    token, token_hash = new_token()
    record = AuthSession(
        token_hash=token_hash, kind=kind, user_id=user.id, expires_at=utcnow() + timedelta(hours=hours)
    )
    session.add(record)
    session.flush()
    audit.record(session, "login", "users", str(user.id), tenant_id=user.tenant_id, kind=kind)
    return token, record


def resolve_token(session: Session, token: str) -> tuple[User, AuthSession] | None:
    """Return the user and session of a valid, unexpired, unrevoked token."""
    record = session.scalar(select(AuthSession).where(AuthSession.token_hash == sha256(token)))
    now = utcnow()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    return user, record


def close_session(session: Session, token: str) -> bool:
    """Log out: revoke a token; return whether it was valid."""
    record = session.scalar(select(AuthSession).where(AuthSession.token_hash == sha256(token)))
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = utcnow()
    audit.record(session, "logout", "users", str(record.user_id))
    return True


# --- API keys ----------------------------------------------------------------------------------


def create_api_key(
    session: Session,
    *,
    tenant: Tenant,
    role: Role | str,
    name: str,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Issue an API key for ``tenant`` with ``role``; the secret is returned once."""
    principal = _require_admin(session, tenant.id)
    role = parse_role(role) if isinstance(role, str) else role
    if role == Role.PLATFORM_ADMIN and not principal.is_platform_admin:
        raise PermissionDenied("only platform administrators may issue platform-admin keys")
    if not name.strip():
        raise InvalidInput("API key name must not be empty")
    key, prefix, key_hash = new_api_key()
    record = ApiKey(
        prefix=prefix,
        key_hash=key_hash,
        name=name.strip(),
        tenant_id=tenant.id,
        role=role.value,
        created_by_id=principal.user_id,
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    return IssuedKey(key=key, record=record)


def list_api_keys(session: Session, tenant: Tenant | None = None) -> list[ApiKey]:
    """Return API keys (without secrets) the acting administrator may see."""
    principal = principal_of(session)
    stmt = select(ApiKey).order_by(ApiKey.id)
    tenant_id = tenant.id if tenant else (None if principal.is_platform_admin else principal.tenant_id)
    if tenant_id is not None:
        _require_admin(session, tenant_id)
        stmt = stmt.where(ApiKey.tenant_id == tenant_id)
    elif not principal.is_platform_admin:
        raise PermissionDenied("only administrators may list API keys")
    return list(session.scalars(stmt))


def revoke_api_key(session: Session, prefix: str) -> ApiKey:
    """Revoke an API key by its public prefix."""
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if record is None:
        raise NotFound(f"API key {prefix!r} not found")
    _require_admin(session, record.tenant_id)
    if record.revoked_at is None:
        record.revoked_at = utcnow()
    forget_api_keys()
    return record


# Valid API keys resolved in the last API_KEY_CACHE_SECONDS, by the SHA-256 of the key (never the key).
# Ingestion sends thousands of requests a second with one key; a lookup each time cost a pooled
# connection and a query per request. Revoking in this process takes effect at once; in other
# worker processes after at most this many seconds.
API_KEY_CACHE_SECONDS = 30.0
_api_key_cache: dict[str, tuple[float, Principal]] = {}


def forget_api_keys() -> None:
    """Drop the cache of resolved API keys (after a revocation)."""
    _api_key_cache.clear()


def cached_api_key(key: str) -> Principal | None:
    """Return the principal of an API key resolved in the last few seconds, without a database query."""
    cached = _api_key_cache.get(sha256(key))
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    return None


def resolve_api_key(session: Session, key: str) -> Principal | None:
    """Return the principal of a valid API key, or None."""
    digest = sha256(key)
    cached = _api_key_cache.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    found = _lookup_api_key(session, key)
    if found is None:
        return None
    principal, seconds_valid = found
    if len(_api_key_cache) > 10_000:
        _api_key_cache.clear()
    ttl = min(API_KEY_CACHE_SECONDS, seconds_valid)
    _api_key_cache[digest] = (time.monotonic() + ttl, principal)
    return principal


def _lookup_api_key(session: Session, key: str) -> tuple[Principal, float] | None:
    """Look a key up in the database; return its principal and how many seconds it stays valid."""
    prefix = split_api_key(key)
    if prefix is None:
        return None
    record = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    now = utcnow()
    if record is None or not constant_time_equal(record.key_hash, sha256(key)) or record.revoked_at:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    # Touch at most once a minute so busy ingestion keys don't write on every request.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        record.last_used_at = now
    principal = Principal(
        kind="apikey",
        tenant_id=record.tenant_id,
        role=Role(record.role),
        api_key_id=record.id,
        name=f"key:{record.prefix}:{record.name}",
    )
    valid = (record.expires_at - now).total_seconds() if record.expires_at is not None else float("inf")
    return principal, valid
