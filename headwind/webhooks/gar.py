"""Google Artifact Registry notifications, delivered by a Pub/Sub push subscription.

Artifact Registry publishes to the `gcr` topic (cloud.google.com, "Configuring Pub/Sub
notifications") a JSON message: `action` (`INSERT` or `DELETE`), `digest`
(`us-east1-docker.pkg.dev/project/repo/image@sha256:…`) and, when a tag was pushed, `tag`
(`us-east1-docker.pkg.dev/project/repo/image:1.1`). Both are full references, so they carry the
registry host. A push subscription wraps the message in `{"message": {"data": <base64>, …},
"subscription": …}`; with "payload unwrapping" enabled it posts the bare message, which is read
too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from headwind import images
from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["parse"]


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """The image an `INSERT` message names; nothing for deletions."""
    message = _message(payload)
    if pushes.text(message, "action") != "INSERT":
        return []
    tag_ref = _reference(message, "tag")
    try:
        digest_ref = _reference(message, "digest")
    except PayloadError:
        if tag_ref is None:
            raise
        digest_ref = None  # only a hint next to a tag (Google's example truncates it)
    named = tag_ref or digest_ref
    if named is None:
        raise PayloadError("message names neither 'tag' nor 'digest'")
    digest = digest_ref.digest if digest_ref is not None else named.digest
    if digest_ref and tag_ref and digest_ref.repository_key != tag_ref.repository_key:
        raise PayloadError("fields 'tag' and 'digest' name different repositories")
    return [pushes.pushed(named.registry, named.repository, named.tag, digest)]


def _message(payload: Any) -> Mapping[str, Any]:
    if isinstance(payload, Mapping) and "message" not in payload and "action" in payload:
        return payload  # pushed with payload unwrapping
    data = pushes.text(payload, "message.data")
    try:
        decoded = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise PayloadError("field 'message.data' is not base64-encoded JSON") from None
    except RecursionError:
        raise PayloadError("field 'message.data' is nested too deeply to read") from None
    if not isinstance(decoded, Mapping):
        raise PayloadError("field 'message.data' does not hold a JSON object")
    return decoded


def _reference(message: Mapping[str, Any], name: str) -> images.ImageRef | None:
    value = pushes.optional_text(message, name)
    if value is None:
        return None
    try:
        return images.parse(value)
    except images.ImageReferenceError as error:
        raise PayloadError(f"field {name!r}: {error}") from None
