"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from filature.errors import InputError

_hasher = PasswordHasher()

# Short passwords are the easiest to guess offline from a stolen database.
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    """The Argon2id hash to store; refuses a password shorter than ``MIN_LENGTH``."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; a corrupt stored hash counts as no match."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(stored_hash)


def temporary_password() -> str:
    """A random password to hand over once (reset, new account); the user must change it."""
    return secrets.token_urlsafe(12)


@cache
def dummy_hash() -> str:
    """A real hash of a random secret, checked when the username is unknown.

    A login for an unknown user then costs the same time as for a known one, so response
    times do not reveal which usernames exist.
    """
    return _hasher.hash(secrets.token_urlsafe(16))
