"""The OCI Distribution API operations Headwind needs to detect updates: tags and digests.

Detection (docs/detection.md) reads tag lists with `Link` pagination and manifest digests by
HEAD (a GET counts against Docker Hub's pull limit, a HEAD does not). Authentication,
retries and limits are the session's. The client only reads; the local environment's
pusher (`headwind_dev.uploading`) writes through the same session.

Registries are named as in image references (`localhost:5000`, `docker.io`, `ghcr.io`);
repositories are full paths (`library/nginx`, `team/app`): normalising `nginx` to
`docker.io/library/nginx` is `headwind.images`' job, not this client's.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable

import httpx

from . import auth, digests, errors, mediatypes, names, responses
from .models import Descriptor, Manifest
from .session import ResponseHook, Session, Sleep
from .settings import OciSettings

__all__ = ["RegistryClient"]

_CATALOG_SCOPE = "registry:catalog:*"


class RegistryClient:
    """An OCI Distribution API client for any number of registries, on one `httpx.AsyncClient`.

    The `httpx.AsyncClient` is injected (the worker's lifespan owns one; unit tests pass one
    on `httpx.MockTransport`). `on_response(registry, status)` sees every HTTP answer, for
    metrics. `sleep`, `rng` and `clock` exist so tests run backoffs and token expiry
    without waiting.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: OciSettings | None = None,
        *,
        on_response: ResponseHook | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or OciSettings()
        self._session = Session(
            http, self.settings, on_response=on_response, sleep=sleep, rng=rng, clock=clock
        )

    @property
    def session(self) -> Session:
        """The one path every request of this client takes: tokens, retries, limits, hook.

        Public so that a client extending this one (the local environment's pusher) sends
        its own requests through it and shares the cached tokens, the per-registry limit
        and the `on_response` hook, instead of opening a second session.
        """
        return self._session

    # -- reading ----------------------------------------------------------------------------

    async def list_tags(
        self,
        registry: str,
        repository: str,
        *,
        credentials: auth.Credentials | None = None,
        page_size: int | None = None,
    ) -> list[str]:
        """Every tag of `repository`, following `Link` pagination to the last page."""
        return [
            tag
            async for tag in self.iter_tags(
                registry, repository, credentials=credentials, page_size=page_size
            )
        ]

    def iter_tags(
        self,
        registry: str,
        repository: str,
        *,
        credentials: auth.Credentials | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[str]:
        """Tags page by page, for callers that can stop early or must bound memory."""
        names.check_repository(repository)
        return self._paginate(
            registry,
            f"/v2/{repository}/tags/list",
            key="tags",
            scope=auth.repository_scope(repository),
            credentials=credentials,
            repository=repository,
            page_size=page_size or self.settings.tags_page_size,
        )

    async def list_repositories(
        self,
        registry: str,
        *,
        credentials: auth.Credentials | None = None,
        page_size: int | None = None,
    ) -> list[str]:
        """The registry's catalog (`/v2/_catalog`); many hosted registries do not offer it."""
        pages = self._paginate(
            registry,
            "/v2/_catalog",
            key="repositories",
            scope=_CATALOG_SCOPE,
            credentials=credentials,
            repository=None,
            page_size=page_size,
        )
        return [name async for name in pages]

    async def head_manifest(
        self,
        registry: str,
        repository: str,
        reference: str,
        *,
        credentials: auth.Credentials | None = None,
    ) -> Descriptor:
        """The descriptor (digest, type, size) of a tag or digest, without downloading it.

        Falls back to a GET only when the registry's HEAD lacks `Docker-Content-Digest`,
        `Content-Type` or `Content-Length`.
        """
        response = await self._manifest_request(
            "HEAD", registry, repository, reference, credentials
        )
        digest = response.headers.get("Docker-Content-Digest", "")
        media_type = _media_type(response)
        length = response.headers.get("Content-Length", "")
        if digests.is_digest(digest) and media_type and length.isdigit():
            if digests.is_digest(reference) and reference != digest:
                raise errors.DigestMismatchError(
                    f"asked for {reference}, the registry described {digest}",
                    registry=registry,
                    repository=repository,
                )
            return Descriptor(media_type=media_type, digest=digest, size=int(length))
        manifest = await self.get_manifest(registry, repository, reference, credentials=credentials)
        return manifest.descriptor

    async def _manifest_request(
        self,
        method: str,
        registry: str,
        repository: str,
        reference: str,
        credentials: auth.Credentials | None,
    ) -> httpx.Response:
        """HEAD or GET one manifest by tag or digest; any answer but 200 raises."""
        names.check_repository(repository)
        names.check_reference(reference)
        response = await self._session.request(
            method,
            registry,
            f"/v2/{repository}/manifests/{reference}",
            scope=auth.repository_scope(repository),
            credentials=credentials,
            repository=repository,
            headers={"Accept": ", ".join(mediatypes.MANIFEST_ACCEPT)},
        )
        if response.status_code != 200:
            raise responses.error_for_response(
                response, registry=registry, repository=repository, action=f"{method} {reference}"
            )
        return response

    async def get_manifest(
        self,
        registry: str,
        repository: str,
        reference: str,
        *,
        credentials: auth.Credentials | None = None,
    ) -> Manifest:
        """A manifest or index by tag or digest, checked against its digest."""
        response = await self._manifest_request("GET", registry, repository, reference, credentials)
        content = response.content
        if len(content) > self.settings.max_manifest_bytes:
            raise errors.RegistryProtocolError(
                f"manifest {reference} is {len(content)} bytes, over the limit of "
                f"{self.settings.max_manifest_bytes}",
                registry=registry,
                repository=repository,
            )
        digest = digests.sha256_digest(content)
        for claimed in (reference, response.headers.get("Docker-Content-Digest", "")):
            if claimed.startswith("sha256:") and claimed != digest:
                raise errors.DigestMismatchError(
                    f"manifest {reference} hashes to {digest}, not {claimed}",
                    registry=registry,
                    repository=repository,
                )
        media_type = _media_type(response) or _declared_media_type(content)
        return Manifest(Descriptor(media_type, digest, len(content)), content)

    # -- helpers ----------------------------------------------------------------------------

    async def _paginate(
        self,
        registry: str,
        path: str,
        *,
        key: str,
        scope: str,
        credentials: auth.Credentials | None,
        repository: str | None,
        page_size: int | None,
    ) -> AsyncIterator[str]:
        """The string items under `key` on every page, following `Link: <...>; rel="next"`."""
        target: str | httpx.URL = path + (f"?n={page_size}" if page_size else "")
        seen: set[str] = set()
        action = "list tags" if key == "tags" else "list repositories"
        for _ in range(self.settings.max_tag_pages):
            response = await self._session.request(
                "GET",
                registry,
                target,
                scope=scope,
                credentials=credentials,
                repository=repository,
                headers={"Accept": "application/json"},
            )
            if response.status_code != 200:
                raise responses.error_for_response(
                    response, registry=registry, repository=repository, action=action
                )
            body = responses.json_object(response, registry=registry, repository=repository)
            items = body.get(key) or []  # Docker Hub answers `"tags": null` when empty
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise errors.RegistryProtocolError(
                    f"{action}: `{key}` is not a list of strings",
                    registry=registry,
                    repository=repository,
                )
            for item in items:
                yield item
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            next_url = response.url.join(following)
            if (next_url.scheme, next_url.netloc) != (response.url.scheme, response.url.netloc):
                raise errors.RegistryProtocolError(
                    f"{action}: next page link leaves the registry: {following}",
                    registry=registry,
                    repository=repository,
                )
            if str(next_url) in seen:
                raise errors.RegistryProtocolError(
                    f"{action}: pagination loops back to {following}",
                    registry=registry,
                    repository=repository,
                )
            seen.add(str(next_url))
            target = next_url
        raise errors.RegistryProtocolError(
            f"{action}: more than {self.settings.max_tag_pages} pages",
            registry=registry,
            repository=repository,
        )


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("Content-Type", "")
    return content_type.split(";")[0].strip()


def _declared_media_type(content: bytes) -> str:
    """`mediaType` from the manifest itself, for registries that send no Content-Type."""
    try:
        manifest = Manifest(Descriptor("", "", 0), content).json()
    except ValueError:
        return ""
    declared = manifest.get("mediaType")
    return declared if isinstance(declared, str) else ""
