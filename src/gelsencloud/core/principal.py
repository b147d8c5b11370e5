"""Who is acting: roles, principals and what each role may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Roles a user or API key holds within its tenant."""

    PLATFORM_ADMIN = "platform_admin"
    TENANT_ADMIN = "tenant_admin"
    EDITOR = "editor"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Classification(StrEnum):
    """How widely a record may be read."""

    PUBLIC = "public"  # anyone, including anonymous users and harvesters
    INTERNAL = "internal"  # members of the owning tenant
    PERSONAL = "personal"  # members of the owning tenant holding a named role


# Roles that may create, change or delete data records of their own tenant.
WRITER_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.TENANT_ADMIN, Role.EDITOR, Role.OPERATOR})
# Roles that manage users and API keys of their tenant.
ADMIN_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.TENANT_ADMIN})
# Default readers of personal data; a model may name others (e.g. a case worker role).
DEFAULT_PERSONAL_ROLES = frozenset({Role.TENANT_ADMIN})


@dataclass(frozen=True)
class Principal:
    """The identity a request or job acts for."""

    kind: str  # "anonymous" | "user" | "apikey" | "system"
    tenant_id: int | None = None
    role: Role | None = None
    user_id: int | None = None
    api_key_id: int | None = None
    name: str = "anonymous"
    session_id: int | None = None

    @property
    def is_anonymous(self) -> bool:
        """Tell whether nobody is logged in."""
        return self.kind == "anonymous"

    @property
    def is_system(self) -> bool:
        """Tell whether this is the platform itself (jobs, migrations, demo builder)."""
        return self.kind == "system"

    @property
    def is_platform_admin(self) -> bool:
        """Tell whether the principal administers the whole platform."""
        return self.is_system or self.role == Role.PLATFORM_ADMIN

    def can_write(self, tenant_id: int | None) -> bool:
        """Tell whether this principal may write data records owned by ``tenant_id``."""
        if self.is_system:
            return True
        return self.tenant_id is not None and self.tenant_id == tenant_id and self.role in WRITER_ROLES

    def can_administer(self, tenant_id: int | None) -> bool:
        """Tell whether this principal may manage users and keys of ``tenant_id``."""
        if self.is_platform_admin:
            return True
        return self.role == Role.TENANT_ADMIN and self.tenant_id == tenant_id

    def has_role(self, *roles: Role) -> bool:
        """Tell whether the principal holds one of ``roles`` (the system holds all)."""
        return self.is_system or self.role in roles


ANONYMOUS = Principal(kind="anonymous")
SYSTEM = Principal(kind="system", name="system")
