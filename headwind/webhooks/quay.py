"""Quay (quay.io and Red Hat Quay) repository notifications, event "Push to Repository".

The payload (Red Hat Quay docs, "Repository Notifications", Repository Push) names the
repository by `docker_url` (`quay.io/namespace/name`, the pull reference, hence the registry
host) and lists `updated_tags`. Old Quay sent `updated_tags` as an object mapping each tag to an
image id (Quay's 2013 example payload); both forms are read. No digest is sent.

The same notification URL may be used for build events (`build_id`, `docker_tags`), which say
a build ran, not that a tag changed; those are skipped. Quay signs nothing, so the secret is in
the URL (`?token=`) or its userinfo (basic auth).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["parse"]


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """One push per updated tag; nothing for build notifications."""
    docker_url = pushes.text(payload, "docker_url")
    if "updated_tags" not in payload and "build_id" in payload:
        return []
    host, slash, repository = docker_url.split("://", 1)[-1].partition("/")
    if not slash or not repository:
        raise PayloadError(f"field 'docker_url' is not an image name: {docker_url!r}")
    return [pushes.pushed(host, repository, tag, None) for tag in _tags(payload)]


def _tags(payload: Mapping[str, Any]) -> list[str]:
    tags = pushes.field(payload, "updated_tags")
    if isinstance(tags, Mapping):
        tags = list(tags)
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise PayloadError("field 'updated_tags' must be a list of tag names")
    return tags
