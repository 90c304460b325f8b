"""Application-level encryption of personal data at rest, and keyed hashes to find it by exact value.

- `encrypt` / `decrypt`: AES-256-GCM. A token names the key it was made with ("v1:<key id>:<data>"),
  so keys can be rotated: new writes use the first key of XINKAN_DATA_KEYS, old tokens stay readable
  while their key is listed, and `manage.py rotate_data_keys` re-encrypts them with the current key.
- `blind_index`: HMAC-SHA256 of a normalised value under XINKAN_INDEX_KEY, so that "find the resident
  with this phone number" is an indexed equality lookup without storing the number in clear.

Keys come from settings (environment variables); see README "Configuration" and
docs/adr/0004-personal-data-encryption.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

TOKEN_VERSION = "v1"  # noqa: S105 - a format tag, not a secret
_AAD = b"xinkan-personal-data"


class DecryptionError(ValueError):
    """A stored token cannot be read: unknown key id, or tampered data."""


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=8)
def _keys(spec: str) -> tuple[tuple[str, bytes], ...]:
    keys: list[tuple[str, bytes]] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        raw = base64.b64decode(encoded)
        if len(raw) != 32 or not key_id.isalnum():
            raise ImproperlyConfigured(
                "XINKAN_DATA_KEYS entries are '<id>:<base64 of 32 bytes>', id letters and digits."
            )
        keys.append((key_id, raw))
    return tuple(keys)


def data_keys() -> tuple[tuple[str, bytes], ...]:
    """(key id, key) pairs, the current key first."""
    spec = settings.XINKAN_DATA_KEYS
    if spec:
        return _keys(spec)
    if not (settings.DEBUG or settings.TESTING):
        raise ImproperlyConfigured("Set XINKAN_DATA_KEYS to encrypt personal data.")
    return (("dev", _derive("xinkan-data-key")),)


def index_key() -> bytes:
    encoded = settings.XINKAN_INDEX_KEY
    if encoded:
        return base64.b64decode(encoded)
    if not (settings.DEBUG or settings.TESTING):
        raise ImproperlyConfigured("Set XINKAN_INDEX_KEY to index personal data.")
    return _derive("xinkan-index-key")


def current_key_id() -> str:
    return data_keys()[0][0]


def encrypt(plaintext: str) -> str:
    key_id, key = data_keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), _AAD)
    return f"{TOKEN_VERSION}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def token_key_id(token: str) -> str:
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == TOKEN_VERSION else ""


def decrypt(token: str) -> str:
    version, key_id, data = ([*token.split(":", 2), "", ""])[:3]
    if version != TOKEN_VERSION:
        raise DecryptionError("not an encrypted token")
    key = dict(data_keys()).get(key_id)
    if key is None:
        raise DecryptionError(f"key {key_id!r} is not configured")
    raw = base64.urlsafe_b64decode(data.encode("ascii"))
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], _AAD).decode("utf-8")
    except Exception as exc:  # InvalidTag: wrong key or altered data
        raise DecryptionError("token does not decrypt") from exc


def normalise(value: str) -> str:
    """The form in which values are compared: no spaces or dashes, upper-case X in ID numbers."""
    cleaned = "".join(value.split()).replace("-", "").upper()
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    return cleaned


def blind_index(value: str, purpose: str) -> str:
    """A keyed hash of `value` for exact-match lookup; `purpose` keeps phones and IDs apart."""
    message = f"{purpose}:{normalise(value)}".encode()
    return hmac.new(index_key(), message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores `encrypt(value)`; reads give the plain value. Empty stays empty (nothing to hide).

    The database column never holds the clear text. Filtering on this field cannot work (each token
    is different); store a `blind_index` beside it for lookups.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
