"""The Docker token flow against a real Distribution registry configured for token auth.

Docker Hub, GHCR, Harbor and Quay all answer 401 with `WWW-Authenticate: Bearer realm=...`,
so the client's bearer flow deserves a real registry, not only mocks. This module runs
Debian's `docker-registry` with `auth: token` and a small token server of its own (a thread on
loopback) that signs JWTs with a throwaway certificate the registry trusts. Its policy:
anonymous callers may pull `public/*`; the user `alice` may pull and push everything.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from headwind_dev import push, uploading

from clients import oci

pytestmark = pytest.mark.e2e

SERVICE = "headwind-e2e-registry"
ISSUER = "headwind-e2e-token-server"
ALICE = oci.Credentials("alice", "wonderland")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class TokenServer:
    """Issues registry tokens; `requests` records (account, scope) of every token request."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    requests: list[tuple[str | None, str]] = field(default_factory=list)

    def granted(self, account: str | None, scope: str) -> list[dict[str, Any]]:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind != "repository":
            return []
        wanted = actions.split(",")
        allowed = ["pull", "push"] if account == ALICE.username else []
        if account is None and name.startswith("public/"):
            allowed = ["pull"]
        return [{"type": kind, "name": name, "actions": [a for a in wanted if a in allowed]}]

    def token(self, account: str | None, scope: str) -> str:
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [
                base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()
            ],
        }
        claims = {
            "iss": ISSUER,
            "sub": account or "",
            "aud": SERVICE,
            "iat": now,
            "nbf": now - 10,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "access": self.granted(account, scope),
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                scope = query.get("scope", [""])[0]
                account = self._account()
                server.requests.append((account, scope))
                if account == "":
                    self._answer(401, {"details": "incorrect username or password"})
                    return
                self._answer(200, {"token": server.token(account, scope), "expires_in": 300})

            def _account(self) -> str | None:
                header = self.headers.get("Authorization")
                if header is None:
                    return None
                user, _, password = (
                    base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
                )
                return user if (user, password) == (ALICE.username, ALICE.password) else ""

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _self_signed() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


@dataclass
class TokenRegistry:
    address: str
    tokens: TokenServer


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.fail("`docker-registry` is not installed: run scripts/install-system-deps")
    root = tmp_path_factory.mktemp("oci-token")
    key, certificate = _self_signed()
    (root / "issuer.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    tokens = TokenServer(key, certificate)
    server = ThreadingHTTPServer(("127.0.0.1", 0), tokens.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"127.0.0.1:{_free_port()}"
    config = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": address, "secret": "e2e-only"},
        "auth": {
            "token": {
                "realm": f"http://127.0.0.1:{server.server_address[1]}/token",
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(root / "issuer.pem"),
            }
        },
    }
    (root / "config.yml").write_text(yaml.safe_dump(config))
    log = root / "registry.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [binary, "serve", str(root / "config.yml")],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"docker-registry with token auth did not start:\n{log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://{address}/v2/", timeout=1).status_code == 401:
                    break
            time.sleep(0.1)
        yield TokenRegistry(address, tokens)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.shutdown()
        server.server_close()


@pytest.fixture
async def client() -> AsyncIterator[uploading.RegistryPusher]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        yield uploading.RegistryPusher(http)


async def _push(client: uploading.RegistryPusher, registry: str, repository: str, tag: str) -> str:
    image = push.build_image(repository, tag, (push.Platform("linux", "amd64"),))
    pushed = await push.push_image(client, registry, repository, tag, image, credentials=ALICE)
    return pushed.digest


async def test_push_and_read_with_credentials_exchanged_for_tokens(
    client: uploading.RegistryPusher, token_registry: TokenRegistry
) -> None:
    registry = token_registry.address
    digest = await _push(client, registry, "team/app", "1.0")
    tags = await client.list_tags(registry, "team/app", credentials=ALICE)
    described = await client.head_manifest(registry, "team/app", "1.0", credentials=ALICE)

    assert tags == ["1.0"]
    assert described.digest == digest
    # The registry's challenge names the actions in its own order (`push,pull`), ours `pull,push`.
    scopes = {
        (scope.rpartition(":")[0], frozenset(scope.rpartition(":")[2].split(",")))
        for account, scope in token_registry.tokens.requests
        if account == "alice"
    }
    assert ("repository:team/app", frozenset({"pull", "push"})) in scopes
    assert ("repository:team/app", frozenset({"pull"})) in scopes


async def test_tokens_are_reused_across_requests(
    client: uploading.RegistryPusher, token_registry: TokenRegistry
) -> None:
    registry = token_registry.address
    await _push(client, registry, "team/reuse", "1.0")
    before = len(token_registry.tokens.requests)
    for _ in range(3):
        await client.list_tags(registry, "team/reuse", credentials=ALICE)
        await client.head_manifest(registry, "team/reuse", "1.0", credentials=ALICE)

    assert len(token_registry.tokens.requests) == before + 1  # one pull token for all six


async def test_anonymous_pull_of_a_public_repository(
    client: uploading.RegistryPusher, token_registry: TokenRegistry
) -> None:
    registry = token_registry.address
    digest = await _push(client, registry, "public/app", "2.0")

    async with httpx.AsyncClient(timeout=10.0) as http:
        anonymous = oci.RegistryClient(http)
        tags = await anonymous.list_tags(registry, "public/app")
        described = await anonymous.head_manifest(registry, "public/app", "2.0")

    assert tags == ["2.0"]
    assert described.digest == digest
    assert (None, "repository:public/app:pull") in token_registry.tokens.requests


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        pytest.param(None, "refused anonymous access after bearer authentication", id="anonymous"),
        pytest.param(
            oci.Credentials("alice", "wrong"),
            "token endpoint http://127.0.0.1:[0-9]+/token refused user 'alice'",
            id="wrong-password",
        ),
    ],
)
async def test_private_repository_refuses_with_a_clear_error(
    client: uploading.RegistryPusher,
    token_registry: TokenRegistry,
    credentials: oci.Credentials | None,
    message: str,
) -> None:
    await _push(client, token_registry.address, "team/private", "1.0")
    async with httpx.AsyncClient(timeout=10.0) as http:
        fresh = oci.RegistryClient(http)
        with pytest.raises(oci.AuthenticationError, match=message):
            await fresh.list_tags(token_registry.address, "team/private", credentials=credentials)
