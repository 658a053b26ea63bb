"""http or https, and which host serves a registry's API."""

from __future__ import annotations

import pytest

from clients import oci
from clients.oci import endpoints

SETTINGS = oci.OciSettings(
    insecure_registries=oci.DEFAULT_INSECURE_REGISTRIES | {"registry.lan:5000", "plain.lan"}
)


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        pytest.param("localhost:5000", "http://localhost:5000", id="localhost-any-port"),
        pytest.param("127.0.0.1:25000", "http://127.0.0.1:25000", id="loopback-ipv4"),
        pytest.param("[::1]:5000", "http://[::1]:5000", id="loopback-ipv6"),
        pytest.param("LOCALHOST:5000", "http://localhost:5000", id="case-insensitive"),
        pytest.param("registry.lan:5000", "http://registry.lan:5000", id="listed-host-and-port"),
        pytest.param("registry.lan:5001", "https://registry.lan:5001", id="other-port-of-listed"),
        pytest.param("plain.lan:8080", "http://plain.lan:8080", id="listed-host-every-port"),
        pytest.param("ghcr.io", "https://ghcr.io", id="public-registry"),
        pytest.param("docker.io", "https://registry-1.docker.io", id="docker-hub-alias"),
        pytest.param("index.docker.io", "https://registry-1.docker.io", id="docker-hub-index"),
        pytest.param("10.0.0.5:5000", "https://10.0.0.5:5000", id="private-ip-not-loopback"),
    ],
)
def test_api_base_url(registry: str, expected: str) -> None:
    assert oci.api_base_url(registry, SETTINGS) == expected


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        pytest.param("localhost:5000", ("localhost", "5000"), id="host-port"),
        pytest.param("ghcr.io", ("ghcr.io", None), id="host"),
        pytest.param("[::1]:5000", ("[::1]", "5000"), id="ipv6-port"),
        pytest.param("[::1]", ("[::1]", None), id="ipv6"),
    ],
)
def test_split_host_port(registry: str, expected: tuple[str, str | None]) -> None:
    assert endpoints.split_host_port(registry) == expected
