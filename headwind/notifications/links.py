"""Signed, expiring approval links: a decision from a browser without logging in to Slack.

A link names one request, one action and its workflow run, and expires
(`HEADWIND_APPROVAL_LINK_TTL`). It is an HMAC-SHA256 over the claim with
`HEADWIND_APPROVAL_LINK_SECRET`, so every replica accepts the links of every other one and a
changed character is refused. Opening a link only shows a confirmation page; the page's POST
acts. A link stays valid until it expires, but it cannot decide twice: the workflow accepts
one decision and refuses the rest, which the page reports as "already decided".
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "Claim",
    "ExpiredLinkError",
    "LinkAction",
    "LinkError",
    "TamperedLinkError",
    "sign",
    "verify",
]

_DOMAIN = b"headwind.approval-link.v1."
"""Prefix of every MAC input, so the key can never vouch for some other kind of message."""


class LinkError(ValueError):
    """A link that cannot be used; the subclasses say why."""


class TamperedLinkError(LinkError):
    """Not a link this Headwind signed (changed, truncated, or signed with another key)."""


class ExpiredLinkError(LinkError):
    """A genuine link whose time is up."""


class LinkAction(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Claim(BaseModel):
    """What a link allows: one action on one request of one workflow, until `expires`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: LinkAction
    namespace: str
    name: str
    workflow_id: str
    expires: int
    """Unix seconds."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, _DOMAIN + body.encode(), hashlib.sha256).digest())


def sign(
    secret: bytes,
    *,
    action: LinkAction,
    namespace: str,
    name: str,
    workflow_id: str,
    now: datetime,
    ttl: timedelta,
) -> str:
    """The token of one link (URL-safe; goes into the link's path)."""
    claim = Claim(
        action=action,
        namespace=namespace,
        name=name,
        workflow_id=workflow_id,
        expires=int((now + ttl).timestamp()),
    )
    body = _b64(claim.model_dump_json().encode())
    return f"{body}.{_mac(secret, body)}"


def verify(secret: bytes, token: str, *, now: datetime) -> Claim:
    """The claim of a genuine, unexpired link; `LinkError` otherwise."""
    body, dot, mac = token.partition(".")
    if not dot or not hmac.compare_digest(_mac(secret, body), mac):
        raise TamperedLinkError("this link was not issued by Headwind or has been altered")
    try:
        claim = Claim.model_validate(json.loads(_unb64(body)))
    except (ValueError, binascii.Error, ValidationError) as error:
        raise TamperedLinkError("this link cannot be read") from error
    if now.timestamp() >= claim.expires:
        raise ExpiredLinkError("this link has expired")
    return claim
