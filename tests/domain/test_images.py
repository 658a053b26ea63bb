"""Image references: Docker's parsing rules, normalisation, and patches that keep the spelling."""

from __future__ import annotations

import pytest

from headwind import images

SHA = "sha256:" + "0123456789abcdef" * 4
SHA512 = "sha512:" + "ab" * 64

# (reference, registry, repository, tag, digest)
VALID = [
    pytest.param("nginx", "docker.io", "library/nginx", None, None, id="bare-name"),
    pytest.param("nginx:1.25", "docker.io", "library/nginx", "1.25", None, id="official-with-tag"),
    pytest.param(
        "nginx:latest", "docker.io", "library/nginx", "latest", None, id="official-latest"
    ),
    pytest.param("library/nginx:1", "docker.io", "library/nginx", "1", None, id="explicit-library"),
    pytest.param("team/app:v2", "docker.io", "team/app", "v2", None, id="hub-user-repo"),
    pytest.param("docker.io/nginx", "docker.io", "library/nginx", None, None, id="docker.io-bare"),
    pytest.param(
        "docker.io/library/nginx:1.25",
        "docker.io",
        "library/nginx",
        "1.25",
        None,
        id="docker.io-library",
    ),
    pytest.param(
        "index.docker.io/nginx",
        "docker.io",
        "library/nginx",
        None,
        None,
        id="alias-index.docker.io",
    ),
    pytest.param(
        "registry-1.docker.io/team/app:1", "docker.io", "team/app", "1", None, id="alias-registry-1"
    ),
    pytest.param(
        "registry.hub.docker.com/library/redis",
        "docker.io",
        "library/redis",
        None,
        None,
        id="alias-registry.hub",
    ),
    pytest.param(
        "DOCKER.IO/team/app", "docker.io", "team/app", None, None, id="uppercase-hub-host"
    ),
    pytest.param("ghcr.io/org/app:1.0.0", "ghcr.io", "org/app", "1.0.0", None, id="ghcr"),
    pytest.param("ghcr.io/org/team/app", "ghcr.io", "org/team/app", None, None, id="deep-path"),
    pytest.param("ghcr.io/a/b/c/d/e:x", "ghcr.io", "a/b/c/d/e", "x", None, id="very-deep-path"),
    pytest.param("quay.io/app", "quay.io", "app", None, None, id="quay-single-component"),
    pytest.param("localhost/app", "localhost", "app", None, None, id="localhost-without-port"),
    pytest.param(
        "localhost:5000/team/app",
        "localhost:5000",
        "team/app",
        None,
        None,
        id="localhost-with-port",
    ),
    pytest.param(
        "localhost:5000/team/app:1.2",
        "localhost:5000",
        "team/app",
        "1.2",
        None,
        id="localhost-port-tag",
    ),
    pytest.param(
        "LOCALHOST:5000/app", "localhost:5000", "app", None, None, id="uppercase-localhost"
    ),
    pytest.param("127.0.0.1:5000/app:3", "127.0.0.1:5000", "app", "3", None, id="ipv4-port"),
    pytest.param("10.0.0.1/app", "10.0.0.1", "app", None, None, id="ipv4-no-port"),
    pytest.param("[::1]:5000/app:1", "[::1]:5000", "app", "1", None, id="ipv6-port"),
    pytest.param(
        "Registry.Example.COM/team/app",
        "registry.example.com",
        "team/app",
        None,
        None,
        id="uppercase-host-lowered",
    ),
    pytest.param(
        "registry.example.com:443/app",
        "registry.example.com:443",
        "app",
        None,
        None,
        id="explicit-443-kept",
    ),
    pytest.param("my-registry.local/app", "my-registry.local", "app", None, None, id="dashed-host"),
    pytest.param("host:5000/app", "host:5000", "app", None, None, id="plain-host-with-port"),
    pytest.param("nginx@" + SHA, "docker.io", "library/nginx", None, SHA, id="digest-only"),
    pytest.param(
        "nginx:1.25@" + SHA, "docker.io", "library/nginx", "1.25", SHA, id="tag-and-digest"
    ),
    pytest.param(
        "localhost:5000/app:1@" + SHA, "localhost:5000", "app", "1", SHA, id="port-tag-digest"
    ),
    pytest.param("app@" + SHA512, "docker.io", "library/app", None, SHA512, id="sha512"),
    pytest.param(
        "app@blake3:" + "a" * 64,
        "docker.io",
        "library/app",
        None,
        "blake3:" + "a" * 64,
        id="unregistered-algorithm",
    ),
    pytest.param(
        "my_app/sub.name/x-y:tag", "docker.io", "my_app/sub.name/x-y", "tag", None, id="separators"
    ),
    pytest.param(
        "a__b/c--d:t", "docker.io", "a__b/c--d", "t", None, id="double-underscore-and-dashes"
    ),
    pytest.param(
        "app:V1.0_RC-1", "docker.io", "library/app", "V1.0_RC-1", None, id="mixed-case-tag"
    ),
    pytest.param("app:_tag", "docker.io", "library/app", "_tag", None, id="tag-leading-underscore"),
    pytest.param(
        "app:" + "t" * 128, "docker.io", "library/app", "t" * 128, None, id="tag-128-chars"
    ),
    pytest.param(
        "localhost:5000",
        "docker.io",
        "library/localhost",
        "5000",
        None,
        id="docker-rule-localhost-port-is-a-tag",
    ),
]


@pytest.mark.parametrize(("reference", "registry", "repository", "tag", "digest"), VALID)
def test_parse_valid(
    reference: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = images.parse(reference)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert ref.repository_key == f"{registry}/{repository}"
    assert ref.written == reference


INVALID = [
    pytest.param("", "empty", id="empty"),
    pytest.param(" nginx", "whitespace", id="leading-space"),
    pytest.param("nginx:1.0 ", "whitespace", id="trailing-space"),
    pytest.param("Nginx", "lower case", id="uppercase-name"),
    pytest.param("MyOrg/app", "lower case", id="uppercase-namespace"),
    pytest.param("ghcr.io/MyOrg/app", "lower case", id="uppercase-path-on-host"),
    pytest.param("nginx:", "tag", id="empty-tag"),
    pytest.param("nginx:.hidden", "tag", id="tag-leading-dot"),
    pytest.param("nginx:-dash", "tag", id="tag-leading-dash"),
    pytest.param("nginx:" + "t" * 129, "tag", id="tag-too-long"),
    pytest.param("nginx:a/b", "registry host", id="colon-in-first-component"),
    pytest.param("nginx:1:2", "path component", id="two-colons"),
    pytest.param(":1.0", "no repository", id="no-name"),
    pytest.param("@" + SHA, "no repository", id="digest-without-name"),
    pytest.param("nginx@", "digest", id="empty-digest"),
    pytest.param("nginx@sha256:abc", "digest", id="short-sha256"),
    pytest.param("nginx@sha256:" + "A" * 64, "64 lower-case hex", id="uppercase-sha256"),
    pytest.param("nginx@sha256:" + "a" * 65, "64 lower-case hex", id="long-sha256"),
    pytest.param("nginx@md5", "digest", id="algorithm-without-hex"),
    pytest.param("nginx@" + SHA + "@" + SHA, "digest", id="two-digests"),
    pytest.param("ghcr.io/", "no repository path", id="host-without-path"),
    pytest.param("ghcr.io//app", "empty path component", id="empty-component-after-host"),
    pytest.param("team//app", "empty path component", id="empty-component"),
    pytest.param("team/app/", "empty path component", id="trailing-slash"),
    pytest.param("-app", "path component", id="leading-dash"),
    pytest.param("app-", "path component", id="trailing-dash"),
    pytest.param("a...b", "path component", id="triple-dot"),
    pytest.param("a___b", "path component", id="triple-underscore"),
    pytest.param("app!", "path component", id="bang"),
    pytest.param("bad_host.com/app", "registry host", id="underscore-in-host"),
    pytest.param("-host.com/app", "registry host", id="host-leading-dash"),
    pytest.param("host.com:port/app", "registry host", id="non-numeric-port"),
    pytest.param("https://ghcr.io/app", "registry host|tag", id="url-scheme"),
    pytest.param("a" * 256, "longer than 255", id="name-too-long"),
]


@pytest.mark.parametrize(("reference", "message"), INVALID)
def test_parse_invalid(reference: str, message: str) -> None:
    with pytest.raises(images.ImageReferenceError, match=message):
        images.parse(reference)


def test_error_is_a_value_error() -> None:
    assert issubclass(images.ImageReferenceError, ValueError)


CANONICAL = [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.25", "docker.io/library/nginx:1.25"),
    ("index.docker.io/team/app:1", "docker.io/team/app:1"),
    ("nginx@" + SHA, "docker.io/library/nginx@" + SHA),
    ("nginx:1@" + SHA, "docker.io/library/nginx:1@" + SHA),
    ("Localhost:5000/app", "localhost:5000/app:latest"),
]


@pytest.mark.parametrize(
    ("reference", "canonical"),
    CANONICAL,
    ids=["default-tag", "tagged", "alias", "digest-only-no-tag", "tag-digest", "host-lowered"],
)
def test_canonical_form(reference: str, canonical: str) -> None:
    assert str(images.parse(reference)) == canonical


EQUAL = [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1", "index.docker.io/nginx:1"),
    ("registry-1.docker.io/library/nginx", "library/nginx:latest"),
    ("GHCR.io/org/app:1", "ghcr.io/org/app:1"),
]


@pytest.mark.parametrize(
    ("left", "right"), EQUAL, ids=["implicit-latest", "alias", "alias-library", "host-case"]
)
def test_same_image_compares_equal(left: str, right: str) -> None:
    assert images.parse(left) == images.parse(right)
    assert hash(images.parse(left)) == hash(images.parse(right))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("nginx:1", "nginx:2"),
        ("nginx", "registry.example.com/nginx"),
        ("nginx", "registry.example.com/library/nginx"),
        ("localhost:5000/app", "localhost:5001/app"),
        ("nginx:1", "nginx:1@" + SHA),
    ],
    ids=["other-tag", "other-registry", "other-registry-library", "other-port", "pinned"],
)
def test_different_images_differ(left: str, right: str) -> None:
    assert images.parse(left) != images.parse(right)


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("nginx:1.25", "docker.io/library/nginx:1.26", True),
        ("nginx", "index.docker.io/nginx@" + SHA, True),
        ("nginx", "registry.example.com/team/nginx", False),
        ("nginx", "ghcr.io/library/nginx", False),
        ("team/nginx", "nginx", False),
    ],
    ids=["spellings", "alias-digest", "other-registry", "same-path-other-registry", "namespace"],
)
def test_repository_key_identity(left: str, right: str, same: bool) -> None:
    key = images.parse(left).repository_key
    assert (key == images.parse(right).repository_key) is same


@pytest.mark.parametrize(
    ("reference", "effective"),
    [("nginx", "latest"), ("nginx:1", "1"), ("nginx@" + SHA, None), ("nginx:1@" + SHA, "1")],
    ids=["absent-is-latest", "written", "digest-only-has-none", "tag-and-digest"],
)
def test_effective_tag(reference: str, effective: str | None) -> None:
    assert images.parse(reference).effective_tag == effective


WITH_TAG = [
    ("nginx:1.25", "1.26", None, "nginx:1.26"),
    ("nginx", "1.26", None, "nginx:1.26"),
    ("library/nginx:1.25", "1.26", None, "library/nginx:1.26"),
    ("docker.io/library/nginx:1.25", "1.26", None, "docker.io/library/nginx:1.26"),
    ("index.docker.io/nginx:1", "2", None, "index.docker.io/nginx:2"),
    ("Registry.Example.com/app:1", "2", None, "Registry.Example.com/app:2"),
    ("localhost:5000/team/app:1.0", "1.1", None, "localhost:5000/team/app:1.1"),
    ("nginx:1.25", "1.26", SHA, "nginx:1.26@" + SHA),
    ("nginx:1.25@" + SHA, "1.26", None, "nginx:1.26"),
    ("nginx@" + SHA, "1.26", SHA512, "nginx:1.26@" + SHA512),
    ("ghcr.io/org/team/app:v1", "v2", None, "ghcr.io/org/team/app:v2"),
]


@pytest.mark.parametrize(
    ("reference", "tag", "digest", "expected"),
    WITH_TAG,
    ids=[
        "short-form-kept",
        "untagged",
        "library-kept",
        "long-form-kept",
        "alias-kept",
        "host-case-kept",
        "port-kept",
        "pin-digest",
        "old-digest-dropped",
        "digest-only-gets-tag",
        "deep-path",
    ],
)
def test_with_tag_keeps_the_written_name(
    reference: str, tag: str, digest: str | None, expected: str
) -> None:
    assert images.with_tag(reference, tag, digest) == expected
    assert images.parse(reference).with_tag(tag, digest) == expected
    assert images.parse(expected).repository_key == images.parse(reference).repository_key


@pytest.mark.parametrize(
    ("tag", "digest"),
    [
        ("", None),
        ("-1", None),
        ("1.26/evil", None),
        ("1.26@" + SHA, None),
        ("1.26", "sha256:short"),
        ("1.26", "nope"),
    ],
    ids=["empty-tag", "dash-tag", "slash-tag", "digest-in-tag", "short-digest", "not-a-digest"],
)
def test_with_tag_refuses_bad_tags_and_digests(tag: str, digest: str | None) -> None:
    with pytest.raises(images.ImageReferenceError):
        images.with_tag("nginx:1.25", tag, digest)


NORMALIZE_REGISTRY = [
    ("docker.io", "docker.io"),
    ("index.docker.io", "docker.io"),
    ("registry-1.docker.io", "docker.io"),
    ("Registry-1.Docker.IO", "docker.io"),
    ("registry.hub.docker.com", "docker.io"),
    ("https://registry.hub.docker.com/u/team/app/", "docker.io"),
    ("ghcr.io", "ghcr.io"),
    ("Harbor.Example.com:8443", "harbor.example.com:8443"),
    ("localhost:5000", "localhost:5000"),
    (" quay.io ", "quay.io"),
    ("http://10.0.0.1:5000", "10.0.0.1:5000"),
]


@pytest.mark.parametrize(
    ("host", "expected"), NORMALIZE_REGISTRY, ids=[host.strip() for host, _ in NORMALIZE_REGISTRY]
)
def test_normalize_registry(host: str, expected: str) -> None:
    assert images.normalize_registry(host) == expected


@pytest.mark.parametrize(
    "host",
    ["", "https://", "bad_host", "host:port"],
    ids=["empty", "scheme-only", "underscore", "port"],
)
def test_normalize_registry_refuses(host: str) -> None:
    with pytest.raises(images.ImageReferenceError):
        images.normalize_registry(host)


REPOSITORY_KEYS = [
    ("docker.io", "nginx", "docker.io/library/nginx"),
    ("docker.io", "library/nginx", "docker.io/library/nginx"),
    ("registry-1.docker.io", "team/app", "docker.io/team/app"),
    ("index.docker.io", "/team/app/", "docker.io/team/app"),
    ("ghcr.io", "MyOrg/App", "ghcr.io/myorg/app"),
    ("ghcr.io", "nginx", "ghcr.io/nginx"),
    ("localhost:5000", "team/app", "localhost:5000/team/app"),
    ("registry.example.com", "team/nginx", "registry.example.com/team/nginx"),
]


@pytest.mark.parametrize(
    ("host", "repository", "expected"),
    REPOSITORY_KEYS,
    ids=[
        "hub-official-short",
        "hub-official-library",
        "hub-alias",
        "slashes-trimmed",
        "ghcr-display-case",
        "no-library-outside-hub",
        "port",
        "same-name-other-registry",
    ],
)
def test_repository_key_from_webhook(host: str, repository: str, expected: str) -> None:
    assert images.repository_key(host, repository) == expected


def test_webhook_key_matches_workload_key() -> None:
    """A Docker Hub push event for `library/nginx` finds a workload that wrote `nginx:1.25`."""
    assert images.repository_key("registry-1.docker.io", "library/nginx") == (
        images.parse("nginx:1.25").repository_key
    )
    assert images.repository_key("registry.example.com", "team/nginx") != (
        images.parse("nginx:1.25").repository_key
    )


@pytest.mark.parametrize(
    ("host", "repository"),
    [("docker.io", ""), ("docker.io", "a//b"), ("docker.io", "a b"), ("bad_host", "app")],
    ids=["empty", "empty-component", "space", "bad-host"],
)
def test_repository_key_refuses(host: str, repository: str) -> None:
    with pytest.raises(images.ImageReferenceError):
        images.repository_key(host, repository)


@pytest.mark.parametrize(
    ("value", "valid"),
    [("1.0", True), ("latest", True), ("", False), (".x", False), ("a" * 129, False)],
    ids=["version", "latest", "empty", "leading-dot", "too-long"],
)
def test_validate_tag(value: str, valid: bool) -> None:
    if valid:
        assert images.validate_tag(value) == value
    else:
        with pytest.raises(images.ImageReferenceError):
            images.validate_tag(value)


def test_refs_are_frozen() -> None:
    ref = images.parse("nginx")
    with pytest.raises(AttributeError):
        ref.tag = "2"  # type: ignore[misc]
