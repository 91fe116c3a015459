"""PINs and tokens.

A PIN is never stored: argon2id over HMAC-SHA256(server secret, PIN), so a stolen database
alone cannot be brute-forced (six digits are only a million guesses). Tokens are random;
only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_FAILED_PINS = 5
LOCK_MINUTES = 15


class PinHasher:
    """Hashes and checks PINs with the server secret."""

    def __init__(self, secret: str, *, time_cost: int = 2, memory_cost: int = 19_456) -> None:
        # OWASP's minimum argon2id parameters: a login costs tens of milliseconds.
        self._secret = secret.encode("utf-8")
        self._argon = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)

    def _peppered(self, pin: str) -> str:
        return hmac.new(self._secret, pin.encode("utf-8"), hashlib.sha256).hexdigest()

    def hash(self, pin: str) -> str:
        """The stored form of a PIN."""
        return self._argon.hash(self._peppered(pin))

    def keyed_digest(self, value: str) -> str:
        """HMAC-SHA256 of `value` under the server secret: a record can name a person's
        number without holding it, and only who holds the secret can tell which it is."""
        return hmac.new(self._secret, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def verify(self, stored: str, pin: str) -> bool:
        """Whether `pin` matches the stored hash."""
        try:
            return self._argon.verify(stored, self._peppered(pin))
        except (VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    """A bearer token for one login."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
