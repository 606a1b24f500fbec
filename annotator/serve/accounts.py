"""Accounts of ``annotator serve``: names, password hashes, one-time sign-in links, slow-down.

Passwords are kept only as a salted scrypt hash with its parameters
(``scrypt$n$r$p$salt$hash``, base64), so a stolen store does not give them
away and the cost can be raised later without breaking old hashes. Checks
compare in constant time, and a name with no account costs the same scrypt
run as a real one, so the answer never tells which part was wrong.
One-time links carry 32 random bytes; the store keeps only their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import unicodedata
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from annotator.errors import AnnotatorError

# scrypt cost: about 50 ms and 16 MiB per check here; written into every hash, so it may change later.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # scrypt's input is hashed anyway; this only bounds the work a request can ask for
MAX_NAME = 64
TOKEN_HOURS = 24  # how long a link from `annotator users token` stays usable (--hours changes it)
NAME_PUNCTUATION = "._-@"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_name(name: str) -> str:
    """An account name is an annotator name: letters (any script), digits and ``._-@``, not starting with
    ``-`` (it becomes an argument of the app's command line), at most 64 characters."""
    if not name or len(name) > MAX_NAME:
        raise AnnotatorError(f"account name {name!r}: must be 1 to {MAX_NAME} characters")
    for ch in name:
        if ch not in NAME_PUNCTUATION and unicodedata.category(ch)[0] not in "LNM":
            raise AnnotatorError(f"account name {name!r}: only letters, digits and {NAME_PUNCTUATION} are allowed")
    if name[0] in NAME_PUNCTUATION or unicodedata.category(name[0])[0] == "M":
        raise AnnotatorError(f"account name {name!r}: must start with a letter or digit")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AnnotatorError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AnnotatorError(f"the password must have at most {MAX_PASSWORD} characters")
    return password


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + (1 << 20), dklen=HASH_BYTES)


def hash_password(password: str) -> str:
    """The encoded, salted hash to store for ``password``."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


# Checked when a name has no account (or no password), so that case takes as long as a wrong password.
_DUMMY = hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, encoded: str | None) -> bool:
    """True if ``password`` matches ``encoded``; always runs one scrypt (``None``: against a dummy)."""
    if len(password) > MAX_PASSWORD:
        return False
    target = encoded or _DUMMY
    try:
        scheme, n, r, p, salt, digest = target.split("$")
        if scheme != "scrypt" or not (2 <= int(n) <= 2**20 and 1 <= int(r) <= 32 and 1 <= int(p) <= 16):
            raise ValueError(scheme)
        ok = hmac.compare_digest(_scrypt(password, _unb64(salt), int(n), int(r), int(p)), _unb64(digest))
    except ValueError:
        return False
    return ok and encoded is not None


def new_token() -> str:
    """A one-time link token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256 (a token is random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def expiry_iso(hours: float) -> str:
    """``hours`` from now, as the stores write times (ISO 8601 UTC, milliseconds)."""
    at = datetime.now(UTC) + timedelta(hours=hours)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Throttle:
    """Slow down guessing: after failures for a key (a remote address, an account name), the next
    attempt waits ``base * 2**(failures-1)`` seconds, at most ``cap``. Memory is bounded: the
    ``max_keys`` most recent keys are kept, and a key forgets its failures ``forget`` seconds after
    the last one. ``clock`` is injectable for tests."""

    def __init__(self, *, base: float = 0.5, cap: float = 30.0, forget: float = 900.0, max_keys: int = 10_000,
                 clock=time.monotonic) -> None:
        self.base, self.cap, self.forget, self.max_keys, self.clock = base, cap, forget, max_keys, clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def _count(self, key: str) -> int:
        entry = self._failures.get(key)
        if entry is None:
            return 0
        if self.clock() - entry[1] > self.forget:
            del self._failures[key]
            return 0
        return entry[0]

    def delay(self, *keys: str) -> float:
        """Seconds to wait before checking an attempt made under ``keys``."""
        failures = max((self._count(k) for k in keys), default=0)
        return 0.0 if failures == 0 else min(self.cap, self.base * 2 ** (failures - 1))

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            count = self._count(key)
            self._failures[key] = (count + 1, now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)
