"""CNCF Distribution notifications (the `registry` image, GitLab's registry, Zot's compatible
sink, many self-hosted registries).

The registry posts an envelope `{"events": [...]}` (distribution.github.io, "Work with
notifications"). An envelope may batch unrelated events: blob uploads, pulls, deletes and
manifest pushes. Only a manifest push says something new, and only one that names a tag can
become a candidate; a push by digest alone (each platform manifest of a multi-arch image) is
reported without a tag. The host is the event's `request.host`, the name clients used to reach
the registry, which is also how workloads write their image references.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["MANIFEST_MEDIA_TYPES", "parse"]

MANIFEST_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)
"""Manifests and indexes: what a tag can point at. Anything else in `target` is a blob."""


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """Every manifest push of the envelope, in order; other events are skipped."""
    events = pushes.field(payload, "events")
    if not isinstance(events, list):
        raise PayloadError("field 'events' must be a JSON array")
    found: list[PushedImage] = []
    for position, event in enumerate(events):
        with pushes.located(f"events[{position}]"):
            image = _manifest_push(event)
        if image is not None:
            found.append(image)
    return found


def _manifest_push(event: Any) -> PushedImage | None:
    if not isinstance(event, Mapping):
        raise PayloadError("an event must be a JSON object")
    if event.get("action") != "push":
        return None
    target = pushes.mapping(event, "target")
    if target.get("mediaType") not in MANIFEST_MEDIA_TYPES:
        return None
    repository = pushes.text(event, "target.repository")
    tag = pushes.optional_text(event, "target.tag")
    digest = pushes.optional_text(event, "target.digest")
    if tag is None and digest is None:
        raise PayloadError("field 'target' names neither a tag nor a digest")
    host = pushes.text(event, "request.host")
    return pushes.pushed(host, repository, tag, digest)
