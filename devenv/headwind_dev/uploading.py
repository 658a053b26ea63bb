"""Writing to an OCI registry: blobs by a monolithic upload, manifests by PUT.

The operator only reads registries, so the write path lives here, with the local environment
and the tests that need real content in a real registry (`headwind dev push`, OCI Helm
charts). `RegistryPusher` is a `clients.oci.RegistryClient` that can also write: its requests
go through the client's session, so they share its authentication, retries, per-registry
limit and `on_response` hook, and a test can push and read back with one object.
"""

from __future__ import annotations

import httpx

from clients import oci
from clients.oci import auth, responses

__all__ = ["RegistryPusher"]


class RegistryPusher(oci.RegistryClient):
    """A registry client that also pushes blobs and manifests; constructed like the client."""

    async def blob_exists(
        self,
        registry: str,
        repository: str,
        digest: str,
        *,
        credentials: oci.Credentials | None = None,
    ) -> bool:
        """Whether the repository holds the blob `digest`.

        Asked with the push scope: the same bearer token then serves the upload that
        usually follows.
        """
        oci.check_repository(repository)
        if not oci.is_digest(digest):
            raise ValueError(f"not a digest: {digest!r}")
        response = await self.session.request(
            "HEAD",
            registry,
            f"/v2/{repository}/blobs/{digest}",
            scope=auth.repository_scope(repository, push=True),
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

    async def push_blob(
        self,
        registry: str,
        repository: str,
        data: bytes,
        *,
        media_type: str,
        credentials: oci.Credentials | None = None,
    ) -> oci.Descriptor:
        """Upload `data` unless the repository already has it; its descriptor either way.

        A monolithic upload (POST for an upload URL, then one PUT with the digest): only
        small synthetic images and charts are pushed, so chunking would buy nothing.
        """
        oci.check_repository(repository)
        descriptor = oci.Descriptor(media_type, oci.sha256_digest(data), len(data))
        if await self.blob_exists(registry, repository, descriptor.digest, credentials=credentials):
            return descriptor
        scope = auth.repository_scope(repository, push=True)
        started = await self.session.request(
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
            raise oci.RegistryProtocolError(
                "blob upload started without a Location", registry=registry, repository=repository
            )
        upload_url = started.url.join(location).copy_merge_params({"digest": descriptor.digest})
        finished = await self.session.request(
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
        credentials: oci.Credentials | None = None,
    ) -> oci.Descriptor:
        """Store a manifest or index under a tag (or its digest); its descriptor.

        Every blob and, for an index, every manifest it references must already be pushed:
        registries check.
        """
        oci.check_repository(repository)
        oci.check_reference(reference)
        descriptor = oci.Descriptor(media_type, oci.sha256_digest(content), len(content))
        response = await self.session.request(
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


def _check_digest_header(
    response: httpx.Response, expected: str, registry: str, repository: str
) -> None:
    """Refuse an answer whose `Docker-Content-Digest` names other content than was sent."""
    claimed = response.headers.get("Docker-Content-Digest")
    if claimed and claimed != expected:
        raise oci.DigestMismatchError(
            f"pushed {expected}, the registry stored {claimed}",
            registry=registry,
            repository=repository,
        )
