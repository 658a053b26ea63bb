"""Credentials from imagePullSecrets (Docker config JSON), matched the way the kubelet does."""

from __future__ import annotations

import base64
import json

import pytest

from clients import oci


def auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


CONFIG = {
    "auths": {
        "https://index.docker.io/v1/": {"auth": auth("hub", "h")},
        "ghcr.io": {"username": "gh", "password": "g"},
        "registry.example.com/team": {"auth": auth("team", "t")},
        "registry.example.com": {"auth": auth("whole", "w")},
        "*.corp.example": {"auth": auth("glob", "c")},
        "localhost:5000": {"auth": auth("local", "l")},
        "broken.example": {"auth": "not base64!"},
        "token.example": {"identitytoken": "refresh"},
    }
}
ENTRIES = oci.parse_docker_config(json.dumps(CONFIG).encode())


@pytest.mark.parametrize(
    ("registry", "repository", "user"),
    [
        pytest.param("docker.io", "library/nginx", "hub", id="docker-hub-v1-url-key"),
        pytest.param("index.docker.io", "team/app", "hub", id="docker-hub-alias"),
        pytest.param("ghcr.io", "org/app", "gh", id="username-password-fields"),
        pytest.param("registry.example.com", "team/app", "team", id="path-prefix-wins"),
        pytest.param("registry.example.com", "teammate/app", "whole", id="prefix-is-by-component"),
        pytest.param("registry.example.com", "other/app", "whole", id="whole-registry"),
        pytest.param("eu.corp.example", "app", "glob", id="glob-one-label"),
        pytest.param("corp.example", "app", None, id="glob-needs-the-label"),
        pytest.param("a.b.corp.example", "app", None, id="glob-matches-one-label-only"),
        pytest.param("localhost:5000", "app", "local", id="host-and-port"),
        pytest.param("localhost:5001", "app", None, id="other-port"),
        pytest.param("quay.io", "app", None, id="no-entry"),
        pytest.param("broken.example", "app", None, id="undecodable-auth-skipped"),
        pytest.param("token.example", "app", None, id="identity-token-unsupported"),
    ],
)
def test_find_credentials(registry: str, repository: str, user: str | None) -> None:
    found = oci.find_credentials(ENTRIES, registry, repository)
    assert (found.username if found else None) == user


def test_legacy_dockercfg_has_no_auths_wrapper() -> None:
    entries = oci.parse_docker_config({"quay.io": {"auth": auth("q", "pw:with:colons")}})
    assert oci.find_credentials(entries, "quay.io", "a/b") == oci.Credentials("q", "pw:with:colons")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"auths": []}', id="auths-not-an-object"),
    ],
)
def test_malformed_configs_are_refused(content: bytes) -> None:
    with pytest.raises(oci.DockerConfigError):
        oci.parse_docker_config(content)


def test_passwords_stay_out_of_repr() -> None:
    assert "pw" not in repr(oci.Credentials("user", "pw"))
