"""The OCI Distribution API operations Headwind needs: read tags and digests, push content.

Reading serves detection (SPEC §7): tag lists with `Link` pagination, manifest digests by
HEAD (a GET counts against Docker Hub's pull limit, a HEAD does not). Pushing serves the
local environment and the tests (`headwind dev push`, OCI Helm charts): blobs by a
monolithic upload, manifests by PUT. Authentication, retries and limits are the session's.

Registries are named as in image references (`localhost:5000`, `docker.io`, `ghcr.io`);
repositories are full paths (`library/nginx`, `team/app`): normalising `nginx` to
`docker.io/library/nginx` is `headwind.images`' job, not this client's.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Callable

import httpx

from . import auth, digests, errors, mediatypes, responses
from .models import Descriptor, Manifest
from .session import ResponseHook, Session, Sleep
from .settings import OciSettings

__all__ = ["RegistryClient"]

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
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
        _check_repository(repository)
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
        _check_repository(repository)
        _check_reference(reference)
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

    async def blob_exists(
        self,
        registry: str,
        repository: str,
        digest: str,
        *,
        credentials: auth.Credentials | None = None,
    ) -> bool:
        """Whether the repository holds the blob `digest`."""
        return await self._blob_exists(
            registry, repository, digest, credentials, auth.repository_scope(repository)
        )

    # -- writing ----------------------------------------------------------------------------

    async def push_blob(
        self,
        registry: str,
        repository: str,
        data: bytes,
        *,
        media_type: str,
        credentials: auth.Credentials | None = None,
    ) -> Descriptor:
        """Upload `data` unless the repository already has it; its descriptor either way.

        A monolithic upload (POST for an upload URL, then one PUT with the digest): Headwind
        only pushes small synthetic images and charts, so chunking would buy nothing.
        """
        _check_repository(repository)
        descriptor = Descriptor(media_type, digests.sha256_digest(data), len(data))
        scope = auth.repository_scope(repository, push=True)
        if await self._blob_exists(registry, repository, descriptor.digest, credentials, scope):
            return descriptor
        started = await self._session.request(
            "POST",
            registry,
            f"/v2/{repository}/blobs/uploads/",
            scope=scope,
            credentials=credentials,
            repository=repository,
            headers={"Content-Length": "0"},
        )
        if started.status_code != 202:
            raise responses.error_for_response(
                started, registry=registry, repository=repository, action="start a blob upload"
            )
        location = started.headers.get("Location")
        if not location:
            raise errors.RegistryProtocolError(
                "blob upload started without a Location", registry=registry, repository=repository
            )
        upload_url = started.url.join(location).copy_merge_params({"digest": descriptor.digest})
        finished = await self._session.request(
            "PUT",
            registry,
            upload_url,
            scope=scope,
            credentials=credentials,
            repository=repository,
            headers={"Content-Type": "application/octet-stream"},
            content=data,
        )
        if finished.status_code != 201:
            raise responses.error_for_response(
                finished, registry=registry, repository=repository, action="upload a blob"
            )
        _check_digest_header(finished, descriptor.digest, registry, repository)
        return descriptor

    async def put_manifest(
        self,
        registry: str,
        repository: str,
        reference: str,
        content: bytes,
        *,
        media_type: str,
        credentials: auth.Credentials | None = None,
    ) -> Descriptor:
        """Store a manifest or index under a tag (or its digest); its descriptor.

        Every blob and, for an index, every manifest it references must already be pushed:
        registries check.
        """
        _check_repository(repository)
        _check_reference(reference)
        descriptor = Descriptor(media_type, digests.sha256_digest(content), len(content))
        response = await self._session.request(
            "PUT",
            registry,
            f"/v2/{repository}/manifests/{reference}",
            scope=auth.repository_scope(repository, push=True),
            credentials=credentials,
            repository=repository,
            headers={"Content-Type": media_type},
            content=content,
        )
        if response.status_code not in (200, 201):
            raise responses.error_for_response(
                response, registry=registry, repository=repository, action=f"PUT {reference}"
            )
        _check_digest_header(response, descriptor.digest, registry, repository)
        return descriptor

    # -- helpers ----------------------------------------------------------------------------

    async def _blob_exists(
        self,
        registry: str,
        repository: str,
        digest: str,
        credentials: auth.Credentials | None,
        scope: str,
    ) -> bool:
        _check_repository(repository)
        if not digests.is_digest(digest):
            raise ValueError(f"not a digest: {digest!r}")
        response = await self._session.request(
            "HEAD",
            registry,
            f"/v2/{repository}/blobs/{digest}",
            scope=scope,
            credentials=credentials,
            repository=repository,
        )
        # A registry on object storage may answer a blob HEAD with a redirect to the bucket.
        if response.status_code == 200 or response.is_redirect:
            return True
        if response.status_code == 404:
            return False
        raise responses.error_for_response(
            response, registry=registry, repository=repository, action=f"HEAD blob {digest}"
        )

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


def _check_repository(repository: str) -> None:
    """Refuse names outside the OCI grammar: they would be spliced into URL paths."""
    if not _REPOSITORY.match(repository):
        raise ValueError(f"not a valid repository name: {repository!r}")


def _check_reference(reference: str) -> None:
    if not (_TAG.match(reference) or digests.is_digest(reference)):
        raise ValueError(f"not a valid tag or digest: {reference!r}")


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


def _check_digest_header(
    response: httpx.Response, expected: str, registry: str, repository: str
) -> None:
    claimed = response.headers.get("Docker-Content-Digest")
    if claimed and claimed != expected:
        raise errors.DigestMismatchError(
            f"pushed {expected}, the registry stored {claimed}",
            registry=registry,
            repository=repository,
        )
