"""JFrog Artifactory webhooks, domain `docker`, event `pushed`.

A predefined Artifactory webhook posts an envelope (`domain`, `event_type`, `data`,
`jpd_origin`, `subscription_key`); JFrog's event reference ("Domain: docker", "Docker Tag was
Pushed") documents the `data` object: `repo_key`, `image_name`, `tag`, `sha256`, `path`. Both
the envelope and a bare `data` object are read.

Artifactory's payload does not say how clients pull the image, because that depends on the
instance's Docker access method: the repository path (`acme.jfrog.io/docker-local/app:1.0`,
the default here, built from `jpd_origin`), a subdomain (`docker-local.acme.jfrog.io/app`) or
a port. `HEADWIND_WEBHOOK_ARTIFACTORY_REGISTRY` spells it out as a prefix in which
`{repo_key}` stands for the repository key, e.g. `{repo_key}.acme.jfrog.io`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headwind import settings
from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["parse", "prefix"]

_REPO_KEY = "{repo_key}"


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """The tag a `docker`/`pushed` event announces; nothing for other domains and events."""
    if isinstance(payload, Mapping) and "data" in payload:
        if pushes.text(payload, "domain") != "docker":
            return []
        if pushes.text(payload, "event_type") != "pushed":
            return []
        origin = pushes.optional_text(payload, "jpd_origin")
        with pushes.located("data"):
            parts = _Parts.read(pushes.mapping(payload, "data"))
    else:
        if pushes.text(payload, "event_type") != "pushed":
            return []
        origin, parts = None, _Parts.read(payload)
    name = f"{prefix(parts.repo_key, origin, context.artifactory_registry)}/{parts.image_name}"
    host, _, repository = name.partition("/")
    return [pushes.pushed(host, repository, parts.tag, parts.digest)]


@dataclass(frozen=True)
class _Parts:
    repo_key: str
    image_name: str
    tag: str
    digest: str | None

    @classmethod
    def read(cls, data: Any) -> _Parts:
        checksum = pushes.optional_text(data, "sha256")
        return cls(
            repo_key=pushes.text(data, "repo_key"),
            image_name=pushes.text(data, "image_name").strip("/"),
            tag=pushes.text(data, "tag"),
            digest=f"sha256:{checksum}" if checksum is not None else None,
        )


def prefix(repo_key: str, origin: str | None, configured: str | None) -> str:
    """`host[/path]` under which the images of repository `repo_key` are pulled."""
    if configured:
        return configured.replace(_REPO_KEY, repo_key).strip("/")
    if origin is None:
        variable = settings.env_name("webhook_artifactory_registry")
        raise PayloadError(
            f"field 'jpd_origin' is missing, so the registry host is unknown: set {variable}"
        )
    host = origin.split("://", 1)[-1].split("/", 1)[0]
    return f"{host}/{repo_key}"
