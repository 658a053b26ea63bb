"""The registries that can notify Headwind, and how each one can prove who it is.

Every sender supports a different kind of credential: Docker Hub can only call a URL (so the
secret rides in its query), Distribution and Harbor add a configured header, GitHub signs the
body with HMAC-SHA256, Artifactory either sends its secret or signs with it. One table keeps,
per source, the settings field that holds its secret and the credential forms it may present,
so the route, the docs and the startup report all read the same facts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from headwind import settings as settings_module

__all__ = ["ALIASES", "SPECS", "Method", "Source", "SourceSpec", "lookup"]


class Source(enum.StrEnum):
    """A webhook sender, named as in its URL: `POST /webhook/<source>`."""

    DOCKERHUB = "dockerhub"
    REGISTRY = "registry"
    HARBOR = "harbor"
    GHCR = "ghcr"
    QUAY = "quay"
    ACR = "acr"
    GAR = "gar"
    ARTIFACTORY = "artifactory"
    ECR = "ecr"
    NATIVE = "native"


ALIASES = {"github": Source.GHCR}
"""Other names a source answers to in its URL (GitHub's webhook settings say "GitHub")."""


class Method(enum.StrEnum):
    """One way a request can carry a source's secret; the value is how errors name it."""

    QUERY_TOKEN = "the `token` query parameter"
    AUTHORIZATION = "the `Authorization` header (the secret, or `Bearer <secret>`)"
    BASIC_AUTH = "basic auth (the secret as password)"
    API_KEY = "the `x-api-key` header"
    HUB_SIGNATURE = "`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`"
    JFROG_AUTH = "`X-JFrog-Event-Auth` (the secret, or the HMAC-SHA256 of the body)"
    HEADWIND_SIGNATURE = "`X-Headwind-Signature: sha256=<HMAC-SHA256 of the body>`"


@dataclass(frozen=True)
class SourceSpec:
    """What Headwind knows about one sender."""

    source: Source
    title: str
    """The product's name, for logs and docs."""
    setting: str
    """The `Settings` field of its own secret; `webhook_token` is the fallback for all."""
    methods: tuple[Method, ...]
    """Credential forms accepted, in the order a missing credential is explained."""

    @property
    def variable(self) -> str:
        """The environment variable of its secret (`HEADWIND_WEBHOOK_QUAY_TOKEN`)."""
        return settings_module.env_name(self.setting)


SPECS: dict[Source, SourceSpec] = {
    spec.source: spec
    for spec in (
        SourceSpec(
            Source.DOCKERHUB, "Docker Hub", "webhook_dockerhub_token", (Method.QUERY_TOKEN,)
        ),
        SourceSpec(
            Source.REGISTRY,
            "CNCF Distribution (registry, GitLab)",
            "webhook_registry_token",
            (Method.AUTHORIZATION,),
        ),
        SourceSpec(Source.HARBOR, "Harbor", "webhook_harbor_secret", (Method.AUTHORIZATION,)),
        SourceSpec(
            Source.GHCR,
            "GitHub Container Registry",
            "webhook_github_secret",
            (Method.HUB_SIGNATURE,),
        ),
        SourceSpec(
            Source.QUAY, "Quay", "webhook_quay_token", (Method.QUERY_TOKEN, Method.BASIC_AUTH)
        ),
        SourceSpec(
            Source.ACR, "Azure Container Registry", "webhook_acr_token", (Method.AUTHORIZATION,)
        ),
        SourceSpec(
            Source.GAR,
            "Google Artifact Registry (Pub/Sub push)",
            "webhook_gar_token",
            (Method.QUERY_TOKEN,),
        ),
        SourceSpec(
            Source.ARTIFACTORY,
            "JFrog Artifactory",
            "webhook_artifactory_secret",
            (Method.JFROG_AUTH,),
        ),
        SourceSpec(
            Source.ECR,
            "AWS ECR (EventBridge API destination)",
            "webhook_ecr_token",
            (Method.AUTHORIZATION, Method.API_KEY),
        ),
        SourceSpec(
            Source.NATIVE,
            "Headwind native JSON",
            "webhook_token",
            (Method.AUTHORIZATION, Method.HEADWIND_SIGNATURE),
        ),
    )
}


def lookup(name: str) -> Source | None:
    """The source a URL segment names (any case, aliases included), or None."""
    wanted = name.strip().lower()
    if wanted in ALIASES:
        return ALIASES[wanted]
    try:
        return Source(wanted)
    except ValueError:
        return None
