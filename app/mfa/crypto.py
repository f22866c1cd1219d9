"""Keys derived from SECRET_KEY for two-factor sign-in, one per purpose (HKDF-SHA-256).

- TOTP secrets are encrypted with Fernet (AES-128-CBC + HMAC-SHA-256, from `cryptography`):
  a database dump without SECRET_KEY does not give the second factor away.
- Backup codes are stored as HMAC-SHA-256 digests under a key of their own: they are short
  enough (50 bits) that a plain digest could be brute-forced from a dump; a keyed one cannot
  without SECRET_KEY, and checking one stays a microsecond (no Argon2 per code).

Rotating SECRET_KEY therefore also turns every user's two-factor setup unreadable (they
would disable and set it up again); the README says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOTP_SECRET_PURPOSE = b"agora:mfa:totp-secret:v1"
BACKUP_CODE_PURPOSE = b"agora:mfa:backup-code:v1"


def derive_key(secret_key: str, purpose: bytes) -> bytes:
    """32 bytes for `purpose`, derived from SECRET_KEY (a different key for each purpose)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode()
    )


class MfaCrypto:
    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, TOTP_SECRET_PURPOSE)))
        self._code_key = derive_key(secret_key, BACKUP_CODE_PURPOSE)

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The secret, or None if it was encrypted under another SECRET_KEY (or altered)."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    def code_digest(self, code: str) -> str:
        return hmac.new(self._code_key, code.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def mfa_crypto(secret_key: str) -> MfaCrypto:
    """One MfaCrypto per key: HKDF runs once, not on every request."""
    return MfaCrypto(secret_key)
