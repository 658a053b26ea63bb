"""Amazon ECR through EventBridge, delivered by an API destination.

ECR emits an `ECR Image Action` event for every completed push (docs.aws.amazon.com, "Amazon
ECR events and EventBridge"): `detail.action-type` `PUSH`, `detail.result` `SUCCESS`,
`detail.repository-name`, `detail.image-tag` (absent for a push by digest) and
`detail.image-digest`. The registry host is not in the event; it follows from `account` and
`region`: `<account>.dkr.ecr.<region>.amazonaws.com` (`.amazonaws.com.cn` in China regions).
Other detail types, failed pushes and deletions are skipped.
"""

from __future__ import annotations

from typing import Any

from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["DETAIL_TYPE", "parse", "registry_host"]

DETAIL_TYPE = "ECR Image Action"


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """The image of a successful push event; nothing for other events."""
    if pushes.text(payload, "detail-type") != DETAIL_TYPE:
        return []
    if pushes.text(payload, "detail.action-type") != "PUSH":
        return []
    if pushes.text(payload, "detail.result") != "SUCCESS":
        return []
    repository = pushes.text(payload, "detail.repository-name")
    tag = pushes.optional_text(payload, "detail.image-tag")
    digest = pushes.optional_text(payload, "detail.image-digest")
    if tag is None and digest is None:
        raise PayloadError("field 'detail' names neither 'image-tag' nor 'image-digest'")
    host = registry_host(pushes.text(payload, "account"), pushes.text(payload, "region"))
    return [pushes.pushed(host, repository, tag, digest)]


def registry_host(account: str, region: str) -> str:
    """The private registry of an AWS account in a region."""
    if not (account.isascii() and account.isdigit()):
        raise PayloadError(f"field 'account' must be an AWS account number, not {account!r}")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{suffix}"
