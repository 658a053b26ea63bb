"""Pushing: blobs by monolithic upload (skipped when present) and manifests by PUT.

The pusher sends its requests through the client's session, so the session's rules (the
scope a bearer challenge names, no resending of a POST) are checked here for writes.
"""

from __future__ import annotations

import base64
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from headwind_dev import uploading

from clients import oci
from clients.oci import mediatypes
from tests.clients.oci_support import (
    BEARER_CHALLENGE,
    Handler,
    Harness,
    harnessed,
    json_response,
    oci_error,
)

REGISTRY = "localhost:5000"
DATA = b"layer bytes"
DIGEST = oci.sha256_digest(DATA)


def pusher(
    handler: Handler, settings: oci.OciSettings | None = None
) -> AbstractAsyncContextManager[Harness[uploading.RegistryPusher]]:
    return harnessed(uploading.RegistryPusher, handler, settings)


class UploadingRegistry:
    """Distribution's upload protocol: POST gives a Location, PUT ?digest= completes."""

    def __init__(self, *, has_blob: bool = False, location: str | None = None) -> None:
        self.has_blob = has_blob
        self.location = location or "/v2/team/app/blobs/uploads/1234?_state=opaque"
        self.stored: dict[str, bytes] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "HEAD" and "/blobs/sha256:" in path:
            return httpx.Response(200 if self.has_blob else 404)
        if request.method == "POST" and path.endswith("/blobs/uploads/"):
            return httpx.Response(202, headers={"Location": self.location})
        if request.method == "PUT" and "/blobs/uploads/" in path:
            digest = request.url.params["digest"]
            if oci.sha256_digest(request.content) != digest:
                return oci_error(400, "DIGEST_INVALID")
            self.stored[digest] = request.content
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        if request.method == "PUT" and "/manifests/" in path:
            digest = oci.sha256_digest(request.content)
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        raise AssertionError(f"unexpected {request.method} {request.url}")


async def test_push_blob_uploads_with_post_then_put_keeping_the_upload_state() -> None:
    registry = UploadingRegistry()
    async with pusher(registry) as harness:
        descriptor = await harness.client.push_blob(
            REGISTRY, "team/app", DATA, media_type=mediatypes.OCI_LAYER_GZIP
        )

    assert descriptor == oci.Descriptor(mediatypes.OCI_LAYER_GZIP, DIGEST, len(DATA))
    assert registry.stored == {DIGEST: DATA}
    assert harness.paths() == [
        f"HEAD /v2/team/app/blobs/{DIGEST}",
        "POST /v2/team/app/blobs/uploads/",
        "PUT /v2/team/app/blobs/uploads/1234",
    ]
    put = harness.requests[-1]
    assert dict(put.url.params) == {"_state": "opaque", "digest": DIGEST}
    assert put.headers["Content-Type"] == "application/octet-stream"


async def test_push_blob_skips_blobs_the_registry_has() -> None:
    async with pusher(UploadingRegistry(has_blob=True)) as harness:
        descriptor = await harness.client.push_blob(REGISTRY, "team/app", DATA, media_type="x/y")
    assert descriptor.digest == DIGEST
    assert harness.paths() == [f"HEAD /v2/team/app/blobs/{DIGEST}"]


async def test_credentials_are_not_sent_to_an_upload_location_on_another_host() -> None:
    alice = oci.Credentials("alice", "pw")
    expected = "Basic " + base64.b64encode(b"alice:pw").decode()
    registry = UploadingRegistry(location="http://storage.example.net/upload/1")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "localhost" and request.headers.get("Authorization") != expected:
            return oci_error(401, "UNAUTHORIZED", **{"WWW-Authenticate": 'Basic realm="r"'})
        if request.url.host == "storage.example.net":
            digest = request.url.params["digest"]
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        return registry(request)

    async with pusher(handler) as harness:
        await harness.client.push_blob(
            REGISTRY, "team/app", DATA, media_type="x/y", credentials=alice
        )
    put = harness.requests[-1]
    assert put.url.host == "storage.example.net"
    assert "Authorization" not in put.headers


async def test_put_manifest_sends_its_media_type_and_returns_its_descriptor() -> None:
    content = b'{"schemaVersion":2}'
    async with pusher(UploadingRegistry()) as harness:
        descriptor = await harness.client.put_manifest(
            REGISTRY, "team/app", "1.0", content, media_type=mediatypes.OCI_MANIFEST
        )
    assert descriptor == oci.Descriptor(
        mediatypes.OCI_MANIFEST, oci.sha256_digest(content), len(content)
    )
    request = harness.requests[0]
    assert (request.method, request.url.path) == ("PUT", "/v2/team/app/manifests/1.0")
    assert request.headers["Content-Type"] == mediatypes.OCI_MANIFEST
    assert request.content == content


@pytest.mark.parametrize(
    ("handler", "error", "message"),
    [
        pytest.param(
            lambda r: httpx.Response(404) if r.method == "HEAD" else httpx.Response(202),
            oci.RegistryProtocolError,
            "blob upload started without a Location",
            id="upload-without-location",
        ),
        pytest.param(
            lambda r: (
                httpx.Response(404)
                if r.method == "HEAD"
                else oci_error(403, "DENIED", "push not allowed")
            ),
            oci.AccessDeniedError,
            r"start a blob upload: HTTP 403 \(DENIED: push not allowed\)",
            id="push-denied",
        ),
        pytest.param(
            lambda r: (
                httpx.Response(202, headers={"Location": "/u/1"})
                if r.method == "POST"
                else httpx.Response(404)
                if r.method == "HEAD"
                else oci_error(404, "BLOB_UPLOAD_UNKNOWN")
            ),
            oci.NotFoundError,
            "upload a blob: HTTP 404 .BLOB_UPLOAD_UNKNOWN",
            id="upload-session-lost",
        ),
        pytest.param(
            lambda r: (
                httpx.Response(202, headers={"Location": "/u/1"})
                if r.method == "POST"
                else httpx.Response(404)
                if r.method == "HEAD"
                else httpx.Response(201, headers={"Docker-Content-Digest": "sha256:" + "0" * 64})
            ),
            oci.DigestMismatchError,
            "the registry stored sha256:0000",
            id="registry-stored-other-digest",
        ),
    ],
)
async def test_push_errors(handler: Handler, error: type[oci.RegistryError], message: str) -> None:
    async with pusher(handler) as harness:
        with pytest.raises(error, match=message):
            await harness.client.push_blob(REGISTRY, "team/app", DATA, media_type="x/y")


async def test_put_manifest_refused_by_the_registry() -> None:
    answer = oci_error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry")
    async with pusher(lambda r: answer) as harness:
        with pytest.raises(oci.RegistryResponseError, match="MANIFEST_BLOB_UNKNOWN") as raised:
            await harness.client.put_manifest(
                REGISTRY, "team/app", "1.0", b"{}", media_type=mediatypes.OCI_MANIFEST
            )
    assert raised.value.status == 400
    assert raised.value.codes == ("MANIFEST_BLOB_UNKNOWN",)


async def test_push_uses_the_scope_the_challenge_names() -> None:
    push_challenge = BEARER_CHALLENGE.replace(":pull", ":pull,push")
    tokens: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            tokens.append(request.url.params["scope"])
            return json_response(200, {"token": "push-token"})
        if request.headers.get("Authorization") != "Bearer push-token":
            return oci_error(401, "UNAUTHORIZED", **{"WWW-Authenticate": push_challenge})
        if request.method == "HEAD":
            return httpx.Response(200)
        raise AssertionError(f"unexpected {request.method} {request.url}")

    async with pusher(handler) as harness:
        await harness.client.push_blob(REGISTRY, "team/app", b"x", media_type="a/b")
    assert tokens == ["repository:team/app:pull,push"]


async def test_post_is_not_resent_after_a_dropped_connection() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(404)
        raise httpx.ReadError("connection reset")

    async with pusher(handler, oci.OciSettings(max_retries=3)) as harness:
        with pytest.raises(oci.RegistryUnreachableError, match="ReadError"):
            await harness.client.push_blob(REGISTRY, "team/app", b"x", media_type="a/b")
    assert harness.paths() == [
        "HEAD /v2/team/app/blobs/" + oci.sha256_digest(b"x"),
        "POST /v2/team/app/blobs/uploads/",
    ]
