"""Manifest digests by HEAD (what polling uses) and manifests by GET, checked by digest."""

from __future__ import annotations

import json

import httpx
import pytest

from clients import oci
from clients.oci import mediatypes
from tests.clients.oci_support import Handler, oci_error, registry_client

REGISTRY = "registry.example.com"
INDEX = json.dumps({"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": []})
INDEX_BYTES = INDEX.encode()
INDEX_DIGEST = oci.sha256_digest(INDEX_BYTES)


def serving(
    content: bytes, media_type: str, *, head_headers: dict[str, str] | None = None
) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {
            "Content-Type": media_type,
            "Docker-Content-Digest": oci.sha256_digest(content),
            "Content-Length": str(len(content)),
        }
        if request.method == "HEAD":
            if head_headers is not None:
                headers = head_headers
            return httpx.Response(200, headers=headers)
        return httpx.Response(200, content=content, headers=headers)

    return handler


@pytest.mark.parametrize(
    "media_type",
    [
        pytest.param(mediatypes.OCI_INDEX, id="oci-index"),
        pytest.param(mediatypes.OCI_MANIFEST, id="oci-manifest"),
        pytest.param(mediatypes.DOCKER_MANIFEST_LIST, id="docker-manifest-list"),
        pytest.param(mediatypes.DOCKER_MANIFEST, id="docker-v2-manifest"),
    ],
)
async def test_head_reads_the_digest_without_downloading(media_type: str) -> None:
    async with registry_client(serving(INDEX_BYTES, media_type)) as harness:
        descriptor = await harness.client.head_manifest(REGISTRY, "team/app", "1.0")

    assert descriptor == oci.Descriptor(media_type, INDEX_DIGEST, len(INDEX_BYTES))
    assert descriptor.is_index is (media_type in mediatypes.INDEX_MEDIA_TYPES)
    assert harness.paths() == ["HEAD /v2/team/app/manifests/1.0"]
    accepted = harness.requests[0].headers["Accept"].split(", ")
    assert accepted == list(mediatypes.MANIFEST_ACCEPT)


@pytest.mark.parametrize(
    "head_headers",
    [
        pytest.param({"Content-Type": mediatypes.OCI_INDEX}, id="no-digest-header"),
        pytest.param(
            {"Docker-Content-Digest": INDEX_DIGEST, "Content-Length": "9"}, id="no-content-type"
        ),
    ],
)
async def test_head_falls_back_to_get_when_the_registry_omits_headers(
    head_headers: dict[str, str],
) -> None:
    handler = serving(INDEX_BYTES, mediatypes.OCI_INDEX, head_headers=head_headers)
    async with registry_client(handler) as harness:
        descriptor = await harness.client.head_manifest(REGISTRY, "team/app", "1.0")
    assert descriptor.digest == INDEX_DIGEST
    assert harness.paths() == ["HEAD /v2/team/app/manifests/1.0", "GET /v2/team/app/manifests/1.0"]


async def test_get_returns_the_exact_bytes_and_their_digest() -> None:
    async with registry_client(serving(INDEX_BYTES, mediatypes.OCI_INDEX)) as harness:
        manifest = await harness.client.get_manifest(REGISTRY, "team/app", INDEX_DIGEST)
    assert manifest.content == INDEX_BYTES
    assert manifest.digest == INDEX_DIGEST
    assert manifest.is_index
    assert manifest.json()["schemaVersion"] == 2


async def test_get_takes_the_media_type_from_the_manifest_when_the_header_lacks_it() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=INDEX_BYTES)

    async with registry_client(handler) as harness:
        manifest = await harness.client.get_manifest(REGISTRY, "team/app", "1.0")
    assert manifest.media_type == mediatypes.OCI_INDEX


OTHER_DIGEST = oci.sha256_digest(b"something else")


@pytest.mark.parametrize(
    ("handler", "call", "error", "message"),
    [
        pytest.param(
            lambda r: httpx.Response(200, content=INDEX_BYTES),
            "get",
            oci.DigestMismatchError,
            "hashes to sha256:.*, not sha256:",
            id="get-by-digest-content-does-not-match",
        ),
        pytest.param(
            lambda r: httpx.Response(
                200, content=INDEX_BYTES, headers={"Docker-Content-Digest": OTHER_DIGEST}
            ),
            "get-tag",
            oci.DigestMismatchError,
            "hashes to",
            id="get-header-digest-does-not-match-content",
        ),
        pytest.param(
            lambda r: httpx.Response(
                200,
                headers={
                    "Docker-Content-Digest": INDEX_DIGEST,
                    "Content-Type": mediatypes.OCI_INDEX,
                    "Content-Length": "10",
                },
            ),
            "head",
            oci.DigestMismatchError,
            "the registry described",
            id="head-by-digest-answers-another-digest",
        ),
        pytest.param(
            lambda r: oci_error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
            "head",
            oci.NotFoundError,
            r"HEAD sha256:.*: HTTP 404",
            id="head-unknown",
        ),
        pytest.param(
            lambda r: oci_error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
            "get-tag",
            oci.NotFoundError,
            r"GET 1.0: HTTP 404 \(MANIFEST_UNKNOWN: manifest unknown\)",
            id="get-unknown-tag",
        ),
        pytest.param(
            lambda r: httpx.Response(200, content=b"x" * 100),
            "get-tag-small-limit",
            oci.RegistryProtocolError,
            "over the limit of 10",
            id="manifest-too-large",
        ),
    ],
)
async def test_manifest_errors(
    handler: Handler, call: str, error: type[oci.RegistryError], message: str
) -> None:
    settings = oci.OciSettings(max_manifest_bytes=10) if call.endswith("small-limit") else None
    async with registry_client(handler, settings) as harness:
        client = harness.client
        operation = (
            client.head_manifest(REGISTRY, "team/app", OTHER_DIGEST)
            if call == "head"
            else client.get_manifest(REGISTRY, "team/app", OTHER_DIGEST if call == "get" else "1.0")
        )
        with pytest.raises(error, match=message) as raised:
            await operation
    assert str(raised.value).startswith(f"{REGISTRY}/team/app: ")


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("-bad", id="tag-starting-with-dash"),
        pytest.param("a" * 129, id="tag-too-long"),
        pytest.param("1.0/../x", id="slash"),
        pytest.param("sha256:abc", id="short-sha256"),
    ],
)
async def test_invalid_references_are_refused(reference: str) -> None:
    async with registry_client(lambda r: httpx.Response(500)) as harness:
        with pytest.raises(ValueError, match="not a valid tag or digest"):
            await harness.client.head_manifest(REGISTRY, "team/app", reference)
    assert harness.requests == []
