"""Signatures: HMAC-SHA256 over "<timestamp>.<body>", checked by a receiver written independently
(tests/webhooks/receiver.py) and by `signing.verify`; any change to body, time or secret fails."""

from __future__ import annotations

import hashlib
import hmac
import time

from tests.webhooks.receiver import Receiver
from xinkan.webhooks import signing

SECRET = signing.new_secret()
BODY = signing.encode({"id": "e1", "type": "matter.created", "matter": {"code": "XK-1"}})


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert signing.signature(SECRET, 1767225600, BODY) == f"sha256={expected}"


def test_headers_carry_event_delivery_timestamp_and_a_signature_the_receiver_accepts():
    headers = signing.headers(secret=SECRET, event_type="matter.created", event_id="e1", body=BODY)
    assert headers["X-Xinkan-Event"] == "matter.created"
    assert headers["X-Xinkan-Delivery"] == "e1"
    assert abs(int(headers["X-Xinkan-Timestamp"]) - time.time()) < 5
    receiver = Receiver(secret=SECRET)
    assert receiver.verify(headers["X-Xinkan-Timestamp"], BODY, headers["X-Xinkan-Signature"])
    assert signing.verify(
        SECRET,
        timestamp=headers["X-Xinkan-Timestamp"],
        body=BODY,
        signature_header=headers["X-Xinkan-Signature"],
    )


def test_a_changed_body_timestamp_or_secret_fails_verification():
    now = int(time.time())
    good = signing.signature(SECRET, now, BODY)
    receiver = Receiver(secret=SECRET)
    assert receiver.verify(str(now), BODY, good)
    assert not receiver.verify(str(now), BODY.replace(b"XK-1", b"XK-2"), good)
    assert not receiver.verify(str(now + 1), BODY, good)
    assert not Receiver(secret=signing.new_secret()).verify(str(now), BODY, good)
    assert not signing.verify(SECRET, timestamp=str(now), body=BODY + b" ", signature_header=good)


def test_an_old_timestamp_is_refused_even_when_correctly_signed():
    old = int(time.time()) - 3600
    signed = signing.signature(SECRET, old, BODY)
    assert not signing.verify(SECRET, timestamp=str(old), body=BODY, signature_header=signed)
    assert not signing.verify(SECRET, timestamp="soon", body=BODY, signature_header=signed)
    assert signing.verify(
        SECRET, timestamp=str(old), body=BODY, signature_header=signed, now=old + 10
    )


def test_secrets_are_random_and_recognisable():
    one, two = signing.new_secret(), signing.new_secret()
    assert one != two
    assert one.startswith("whsec_") and len(one) > 40
