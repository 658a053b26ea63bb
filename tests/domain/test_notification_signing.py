"""Approval-link tokens and the generic webhook's HMAC: genuine, expired, altered, forged."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from headwind.notifications import links, webhook

KEY = b"link-secret"
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
TTL = timedelta(hours=1)


def token(action: links.LinkAction = links.LinkAction.APPROVE, key: bytes = KEY) -> str:
    return links.sign(
        key,
        action=action,
        namespace="shop",
        name="web-web-1-1-0-abc",
        workflow_id="headwind-update/shop/web-web-1-1-0-abc",
        now=NOW,
        ttl=TTL,
    )


@pytest.mark.parametrize("action", list(links.LinkAction), ids=str)
def test_a_genuine_link_names_its_request_and_action(action: links.LinkAction) -> None:
    claim = links.verify(KEY, token(action), now=NOW + TTL - timedelta(seconds=1))
    assert claim.action is action
    assert (claim.namespace, claim.name) == ("shop", "web-web-1-1-0-abc")
    assert claim.workflow_id == "headwind-update/shop/web-web-1-1-0-abc"


def test_an_expired_link_is_refused() -> None:
    with pytest.raises(links.ExpiredLinkError):
        links.verify(KEY, token(), now=NOW + TTL)


def _swap_claim(original: str, **changes: str) -> str:
    body, mac = original.split(".")
    claim = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claim.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claim).encode()).rstrip(b"=").decode()
    return f"{forged}.{mac}"


def _flip_last(text: str) -> str:
    return text[:-1] + ("A" if text[-1] != "A" else "B")


@pytest.mark.parametrize(
    "tampered",
    [
        _swap_claim(token(), action="reject"),
        _swap_claim(token(), name="another-request"),
        _flip_last(token()),
        token(key=b"another-key"),
        token().split(".")[0],
        "",
        "not.a-token",
        "e30.e30",
    ],
    ids=[
        "approve turned into reject",
        "other request",
        "MAC altered",
        "signed with another key",
        "MAC cut off",
        "empty",
        "garbage",
        "empty claim under a bogus MAC",
    ],
)
def test_an_altered_link_is_refused(tampered: str) -> None:
    with pytest.raises(links.TamperedLinkError):
        links.verify(KEY, tampered, now=NOW)


SECRET = b"hook-secret"
BODY = b'{"event":"update.completed"}'


@pytest.mark.parametrize(
    ("timestamp", "body", "signature", "now", "valid"),
    [
        ("1764655200", BODY, webhook.sign(SECRET, "1764655200", BODY), 1764655260, True),
        ("1764655200", BODY + b" ", webhook.sign(SECRET, "1764655200", BODY), 1764655200, False),
        ("1764655201", BODY, webhook.sign(SECRET, "1764655200", BODY), 1764655200, False),
        ("1764655200", BODY, webhook.sign(b"other", "1764655200", BODY), 1764655200, False),
        ("1764655200", BODY, webhook.sign(SECRET, "1764655200", BODY), 1764655501, False),
        (None, BODY, webhook.sign(SECRET, "1764655200", BODY), 1764655200, False),
        ("1764655200", BODY, None, 1764655200, False),
        ("soon", BODY, webhook.sign(SECRET, "soon", BODY), 1764655200, False),
    ],
    ids=[
        "valid",
        "body changed",
        "timestamp changed",
        "forged with another key",
        "stale (over 5 minutes)",
        "missing timestamp",
        "missing signature",
        "timestamp not a number",
    ],
)
def test_webhook_signature(
    timestamp: str | None, body: bytes, signature: str | None, now: float, valid: bool
) -> None:
    verified = webhook.verify(SECRET, timestamp=timestamp, body=body, signature=signature, now=now)
    assert verified is valid


def test_webhook_signature_format() -> None:
    signature = webhook.sign(SECRET, "1764655200", BODY)
    assert signature.startswith("sha256=")
    assert len(signature) == len("sha256=") + 64
