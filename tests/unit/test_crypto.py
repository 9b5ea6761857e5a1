"""Bank account numbers: encrypted with the configured key, read back, shown masked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from staywell import crypto


def test_a_value_is_encrypted_differently_each_time_and_read_back(settings):
    settings.FIELD_ENCRYPTION_KEYS = [crypto.new_key()]
    first, second = crypto.encrypt("000123456789"), crypto.encrypt("000123456789")
    assert first != second and "123456789" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "000123456789"


def test_a_new_key_first_still_reads_values_of_the_old_one(settings):
    old, new = crypto.new_key(), crypto.new_key()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("987654321")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "987654321"
    settings.FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        crypto.decrypt(token)


def test_a_key_that_is_not_a_fernet_key_is_a_configuration_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        crypto.encrypt("1")


def test_masked_shows_the_last_four_only():
    assert crypto.masked("000123456789") == "****6789"
    assert crypto.masked("1234") == "****"
    assert crypto.masked("") == ""
