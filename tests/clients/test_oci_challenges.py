"""`WWW-Authenticate` parsing: the headers real registries send."""

from __future__ import annotations

import pytest

from clients.oci.challenges import Challenge, parse_www_authenticate

CASES = [
    pytest.param(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull"',
        [
            Challenge(
                "bearer",
                {
                    "realm": "https://auth.docker.io/token",
                    "service": "registry.docker.io",
                    "scope": "repository:library/nginx:pull",
                },
            )
        ],
        id="docker-hub-bearer",
    ),
    pytest.param(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull,push"',
        [
            Challenge(
                "bearer",
                {
                    "realm": "https://ghcr.io/token",
                    "service": "ghcr.io",
                    "scope": "repository:o/a:pull,push",
                },
            )
        ],
        id="comma-inside-quoted-scope",
    ),
    pytest.param(
        'Basic realm="basic-realm"',
        [Challenge("basic", {"realm": "basic-realm"})],
        id="distribution-htpasswd-basic",
    ),
    pytest.param(
        'basic REALM="x" , Bearer realm="https://a/t"',
        [Challenge("basic", {"realm": "x"}), Challenge("bearer", {"realm": "https://a/t"})],
        id="two-challenges-case-insensitive",
    ),
    pytest.param(
        'Bearer realm="https://a/t",error="insufficient_scope"',
        [Challenge("bearer", {"realm": "https://a/t", "error": "insufficient_scope"})],
        id="error-parameter",
    ),
    pytest.param(
        "Bearer realm=https://a/t",
        [Challenge("bearer", {"realm": "https://a/t"})],
        id="unquoted-token-value",
    ),
    pytest.param(
        'Bearer realm="a \\"quoted\\" realm"',
        [Challenge("bearer", {"realm": 'a "quoted" realm'})],
        id="escaped-quotes",
    ),
    pytest.param("Negotiate", [Challenge("negotiate", {})], id="scheme-without-params"),
    pytest.param("", [], id="empty"),
]


@pytest.mark.parametrize(("header", "expected"), CASES)
def test_parse_www_authenticate(header: str, expected: list[Challenge]) -> None:
    assert parse_www_authenticate(header) == expected


def test_challenge_properties() -> None:
    (challenge,) = parse_www_authenticate('Bearer realm="r",service="s",scope="c"')
    assert (challenge.realm, challenge.service, challenge.scope) == ("r", "s", "c")
