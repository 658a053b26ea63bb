"""Slack request signatures (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`), computed by hand."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from clients.notify.slack import verify_signature

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BODY = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
NOW = 1_764_655_200


def signature(timestamp: str, body: bytes = BODY, secret: str = SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers(timestamp: str, sig: str) -> dict[str, str]:
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": sig}


@pytest.mark.parametrize(
    ("given", "body", "valid"),
    [
        (headers(str(NOW), signature(str(NOW))), BODY, True),
        (headers(str(NOW - 299), signature(str(NOW - 299))), BODY, True),
        (headers(str(NOW), signature(str(NOW))), BODY + b"x", False),
        (headers(str(NOW), signature(str(NOW), secret="other")), BODY, False),
        (headers(str(NOW), "v0=" + "0" * 64), BODY, False),
        (headers(str(NOW - 301), signature(str(NOW - 301))), BODY, False),
        (headers(str(NOW + 301), signature(str(NOW + 301))), BODY, False),
        ({"x-slack-signature": signature(str(NOW))}, BODY, False),
        ({"x-slack-request-timestamp": str(NOW)}, BODY, False),
        (headers("soon", signature("soon")), BODY, False),
    ],
    ids=[
        "valid",
        "valid, nearly 5 minutes old",
        "body altered",
        "another secret",
        "forged",
        "stale: over 5 minutes old (replay)",
        "from the future",
        "missing timestamp",
        "missing signature",
        "timestamp not a number",
    ],
)
def test_verify_signature(given: dict[str, str], body: bytes, valid: bool) -> None:
    assert verify_signature(SECRET, body, given, now=NOW) is valid
