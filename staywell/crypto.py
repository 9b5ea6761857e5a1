"""Bank account numbers kept encrypted in the database, and shown masked.

:class:`EncryptedTextField` stores a value encrypted with Fernet (``cryptography``:
AES-128 in CBC mode with an HMAC-SHA256, a fresh IV each time) under the key of
``settings.FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts, so a new
key is put first and the old ones stay until every row was saved again
(``FIELD_ENCRYPTION_KEY=new,old``). A database dump or a copy of the table shows no
account number; the key lives in the environment (production refuses to start without
it), not in the database.

Decision: the key is not derived from ``SECRET_KEY``: rotating the key that signs
sessions must never make the bank accounts unreadable.

:func:`masked` is the only way an account number is shown (pages, API, the CSV and PDF
registers): ``****6789``. The full number leaves the database only in the ACH file.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def fernet() -> MultiFernet:
    """The encryption of ``FIELD_ENCRYPTION_KEYS`` (the first key encrypts, each decrypts)."""
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
            "comma-separated."
        ) from exc


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value cannot be read with FIELD_ENCRYPTION_KEY: was the key "
            "changed without keeping the old one after it?"
        ) from exc


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def masked(value: str | None) -> str:
    """``****`` and the last four characters; "" for no value."""
    text = (value or "").strip()
    if not text:
        return ""
    return "****" + text[-4:] if len(text) > 4 else "****"


class EncryptedTextField(models.TextField):
    """A text stored encrypted (module doc); "" stays "" (nothing to hide). Not
    searchable: a lookup compares ciphertexts, which never repeat."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if not value:
            return ""
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(str(value))

    def value_to_string(self, obj: Any) -> str:
        """Serialized (``dumpdata``) masked: a fixture never carries the number."""
        return masked(self.value_from_object(obj))
