"""Secrets handling: password hashing, API keys and session tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
API_KEY_PREFIX = "gck"
MIN_PASSWORD_LENGTH = 10


class WeakPassword(ValueError):
    """Raised when a new password does not meet the minimum policy."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id after checking the minimum policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its stored argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A valid hash to verify against when the user does not exist, so timing does not reveal usernames.
DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def sha256(value: str) -> str:
    """Hash a high-entropy token; such tokens need no slow hash."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """Create an API key; return (full key shown once, lookup prefix, hash to store)."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    return key, prefix, sha256(key)


def split_api_key(key: str) -> str | None:
    """Return the lookup prefix of a well-formed API key, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 8:
        return None
    return parts[1]


def new_token() -> tuple[str, str]:
    """Create a session/bearer token; return (token, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, sha256(token)


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two secrets without leaking their common prefix through timing."""
    return hmac.compare_digest(a.encode(), b.encode())


def csrf_token(secret_key: str, session_token: str) -> str:
    """Derive the CSRF token of a web session (double-submit, bound to the session)."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()
