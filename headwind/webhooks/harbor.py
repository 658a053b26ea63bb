"""Harbor project webhooks, in both payload formats Harbor offers.

*Default* (goharbor.io, "Configure Webhook Notifications"): `type: PUSH_ARTIFACT`, with
`event_data.resources[]` (each `tag`, `digest`, `resource_url`) and
`event_data.repository.repo_full_name` (`project/name`).

*CloudEvents* (Harbor 2.8+, `src/pkg/notifier/formats/cloudevents.go`): `specversion`,
`type: harbor.artifact.pushed`, and the same `resources` and `repository` directly under
`data`.

The registry host is not a field of its own; it is the host part of each `resource_url`
(`hub.harbor.com/test-webhook/debian:latest`), which is exactly what clients pull. Harbor
reports a push by digest with an empty tag (or the digest in the tag field); those become
tagless pushes. Other event types (pulls, deletes, scans, quota) are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["CLOUDEVENTS_PUSH", "NATIVE_PUSH", "parse"]

NATIVE_PUSH = "PUSH_ARTIFACT"
CLOUDEVENTS_PUSH = "harbor.artifact.pushed"


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """Every artifact of a push event, in either format; nothing for other events."""
    kind = pushes.text(payload, "type")
    if "specversion" in payload:
        if kind != CLOUDEVENTS_PUSH:
            return []
        return _artifacts(pushes.mapping(payload, "data"), "data")
    if kind != NATIVE_PUSH:
        return []
    return _artifacts(pushes.mapping(payload, "event_data"), "event_data")


def _artifacts(data: Mapping[str, Any], where: str) -> list[PushedImage]:
    with pushes.located(where):
        repository = pushes.text(data, "repository.repo_full_name")
        resources = pushes.field(data, "resources")
        if not isinstance(resources, list):
            raise PayloadError("field 'resources' must be a JSON array")
    found = []
    for position, resource in enumerate(resources):
        with pushes.located(f"{where}.resources[{position}]"):
            found.append(_artifact(repository, resource))
    return found


def _artifact(repository: str, resource: Any) -> PushedImage:
    url = pushes.text(resource, "resource_url")
    host = url.split("://", 1)[-1].split("/", 1)[0]
    tag = pushes.optional_text(resource, "tag")
    if tag is not None and ":" in tag:  # a digest where a tag would be: pushed by digest
        tag = None
    digest = pushes.optional_text(resource, "digest")
    return pushes.pushed(host, repository, tag, digest)
