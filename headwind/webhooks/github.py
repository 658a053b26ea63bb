"""GitHub Container Registry (`ghcr.io`) through GitHub's `package` webhook events.

A container push to GHCR raises a `package` event (and the older `registry_package` event) with
`action: published` (docs.github.com, "Webhook events and payloads"; examples in
octokit/webhooks `payload-examples/api.github.com/package/`). The version's
`container_metadata.tag` holds `name` (empty for an untagged platform manifest) and `digest`;
`package_url` is the pull reference (`ghcr.io/owner/name:tag`). Without `package_url`, the
repository is `namespace/name` (namespace is the owner's login). GitHub shows owners with
their display case (`Codertocat`) while references are lower case, so names are lowered.

GitHub also sends `ping` when the webhook is created and package events of other ecosystems
(npm, Maven) to the same URL; those are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["EVENTS", "REGISTRY", "parse"]

REGISTRY = "ghcr.io"
EVENTS = ("package", "registry_package")
"""Event names (the `X-GitHub-Event` header) and payload keys that describe packages."""
_ACTIONS = ("published", "updated")
_CONTAINER_TYPES = ("container", "docker")


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """The container version a package event announces; nothing for other events."""
    key = _package_key(payload, context.event)
    if key is None:
        return []
    if pushes.text(payload, "action") not in _ACTIONS:
        return []
    package = pushes.mapping(payload, key)
    with pushes.located(key):
        version = pushes.mapping(package, "package_version")
        if not _is_container(package, version):
            return []
        return [_image(package, version)]


def _package_key(payload: Any, event: str | None) -> str | None:
    if event is not None:
        return event if event in EVENTS else None
    for key in EVENTS:
        if isinstance(payload, Mapping) and key in payload:
            return key
    if isinstance(payload, Mapping) and "zen" in payload:  # ping, without its header
        return None
    raise PayloadError(f"no package event: neither field {EVENTS[0]!r} nor {EVENTS[1]!r}")


def _is_container(package: Mapping[str, Any], version: Mapping[str, Any]) -> bool:
    kind = str(package.get("package_type") or package.get("ecosystem") or "").lower()
    return kind in _CONTAINER_TYPES or isinstance(version.get("container_metadata"), Mapping)


def _image(package: Mapping[str, Any], version: Mapping[str, Any]) -> PushedImage:
    host, repository, url_tag = _from_package_url(version)
    if repository is None:
        namespace = pushes.text(package, "namespace")
        name = pushes.text(package, "name")
        host, repository = REGISTRY, f"{namespace}/{name}"
    tag = pushes.optional_text(version, "container_metadata.tag.name") or url_tag
    digest = pushes.optional_text(version, "container_metadata.tag.digest")
    return pushes.pushed(host, repository, tag, digest)


def _from_package_url(version: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    url = pushes.optional_text(version, "package_url")
    if url is None:
        return REGISTRY, None, None
    name, _, _ = url.partition("@")
    tag: str | None = None
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :] or None
    host, slash, repository = name.partition("/")
    if not slash or not repository:
        raise PayloadError(f"field 'package_version.package_url' is not an image name: {url!r}")
    return host, repository, tag
