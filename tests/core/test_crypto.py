from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from xinkan.core import crypto

KEY_A = "a1:" + base64.b64encode(b"A" * 32).decode()
KEY_B = "b2:" + base64.b64encode(b"B" * 32).decode()


def test_round_trip_and_no_clear_text_in_the_token():
    token = crypto.encrypt("13800138000")
    assert "13800138000" not in token
    assert crypto.decrypt(token) == "13800138000"


def test_each_encryption_is_different():
    assert crypto.encrypt("same") != crypto.encrypt("same")


def test_altered_token_is_refused():
    token = crypto.encrypt("110101199003074514")
    version, key_id, data = token.split(":", 2)
    raw = bytearray(base64.urlsafe_b64decode(data))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{version}:{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode()}")


def test_old_key_still_reads_after_rotation_and_new_writes_use_the_new_key():
    with override_settings(XINKAN_DATA_KEYS=KEY_A):
        old = crypto.encrypt("secret")
    with override_settings(XINKAN_DATA_KEYS=f"{KEY_B},{KEY_A}"):
        assert crypto.decrypt(old) == "secret"
        assert crypto.token_key_id(crypto.encrypt("x")) == "b2"
    with override_settings(XINKAN_DATA_KEYS=KEY_B), pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old)


def test_blind_index_normalises_and_separates_purposes():
    assert crypto.blind_index("138 0013 8000", "phone") == crypto.blind_index(
        "+8613800138000", "phone"
    )
    assert crypto.blind_index("13800138000", "phone") != crypto.blind_index("13800138000", "id")
    assert crypto.blind_index("11010119900307451x", "id") == crypto.blind_index(
        "11010119900307451X", "id"
    )


def test_production_without_keys_refuses():
    with (
        override_settings(DEBUG=False, TESTING=False, XINKAN_DATA_KEYS=""),
        pytest.raises(ImproperlyConfigured),
    ):
        crypto.encrypt("x")


def test_malformed_key_setting_is_reported():
    with override_settings(XINKAN_DATA_KEYS="bad:c2hvcnQ="), pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")
