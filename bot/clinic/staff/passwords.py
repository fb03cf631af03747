"""Staff passwords: Argon2id hashes, a minimum length, and a refusal of common passwords.

The common-password list is zxcvbn's (30,000 passwords seen in breaches), checked with case and
trailing digits or symbols ignored, so "Password123!" is refused with "password".
"""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128  # Argon2 takes any length; this only keeps a pasted novel out of the form

# argon2-cffi's defaults are RFC 9106's second recommendation (Argon2id, t=3, 64 MiB, p=4).
_HASHER = PasswordHasher()
# A hash of nothing anyone knows: unknown user names cost the same time as known ones.
_DUMMY_HASH = _HASHER.hash("pathbot: no such user, constant time")
_TRAILING_NOISE = re.compile(r"[\d\W_]+$")


class WeakPassword(ValueError):
    """The password is refused; the message says why, for the person choosing it."""


def check_strength(password: str, *, username: str = "") -> None:
    """Raise WeakPassword unless the password is long enough and not a common one."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"use at most {MAX_LENGTH} characters")
    folded = password.casefold()
    if username and username.casefold() in folded:
        raise WeakPassword("do not use your user name in the password")
    stem = _TRAILING_NOISE.sub("", folded)
    if folded in common_passwords() or (len(stem) >= 4 and stem in common_passwords()):
        raise WeakPassword("that password is on the list of common passwords; choose another")
    if len(set(folded)) < 4:
        raise WeakPassword("use more different characters")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # a large module: load on first use

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when it matches; a missing or damaged hash is a plain no, after the same work."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at sign-in)."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
