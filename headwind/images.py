"""Container image references: one parser, one normal form, one way to build a new reference.

Every detection path (the Kubernetes watch, every registry webhook, polling) has to agree on
which repository an image belongs to, or a push to `registry.example.com/team/nginx` would
touch workloads running `nginx` from Docker Hub. So all of them go through this module:
`parse` applies Docker's own reference rules, and `ImageRef.repository_key` is the one
identity that events are matched to workloads by.

A patch must never move a workload to another repository, and should look like something the
workload's owner wrote (`nginx:1.25` becomes `nginx:1.26`, not
`docker.io/library/nginx:1.26`). `ImageRef.with_tag` therefore keeps the name exactly as it
was written and changes only the tag and digest.

The grammar follows the Distribution project's `reference` package:

    reference := name [ ":" tag ] [ "@" digest ]
    name      := [ host [ ":" port ] "/" ] path-component ( "/" path-component )*

A first component is a registry host only when it contains `.` or `:` or is `localhost`
(Docker's rule; `team/app` is a Docker Hub repository, `registry.local/app` is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_REGISTRY",
    "DEFAULT_TAG",
    "DOCKER_HUB_ALIASES",
    "ImageRef",
    "ImageReferenceError",
    "normalize_registry",
    "parse",
    "repository_key",
    "validate_digest",
    "validate_tag",
    "with_tag",
]

DEFAULT_REGISTRY = "docker.io"
"""Registry of a reference that names none (`nginx`, `team/app`)."""

DEFAULT_TAG = "latest"
"""What a container runtime pulls when a reference has neither tag nor digest."""

DOCKER_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)
"""Host names that all mean Docker Hub; they normalise to `docker.io`.

`index.docker.io` is Docker's legacy default, `registry-1.docker.io` is the API endpoint
that pulls actually reach, and `registry.hub.docker.com` appears in Docker Hub's webhook
payloads (`repo_url`).
"""

_OFFICIAL_NAMESPACE = "library"
"""Docker Hub's namespace for official images: `nginx` is `library/nginx`."""

_NAME_MAX_LENGTH = 255
"""Longest name (host and path) the Distribution reference grammar allows."""

_HOST_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = re.compile(
    rf"(?:{_HOST_COMPONENT}(?:\.{_HOST_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?",
    re.ASCII,
)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", re.ASCII)
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(
    r"(?P<algorithm>[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*):(?P<hex>[0-9a-fA-F]{32,})",
    re.ASCII,
)
_REGISTERED_DIGESTS = {"sha256": 64, "sha512": 128}
"""Algorithms the OCI image spec registers, with their exact lowercase hex length."""


class ImageReferenceError(ValueError):
    """A string is not a valid container image reference (or tag, or digest)."""


@dataclass(frozen=True, slots=True, eq=False)
class ImageRef:
    """A parsed image reference, normalised, remembering how it was written.

    Two references are equal when they pull the same thing: `nginx` equals
    `index.docker.io/library/nginx:latest`. Use `repository_key` to ask whether two
    references are the same *repository* regardless of tag.
    """

    registry: str
    """Normalised registry host, lower case, with its port if any (`localhost:5000`)."""

    repository: str
    """Repository path inside the registry (`library/nginx`, `org/team/app`)."""

    tag: str | None
    """The tag as written, or None when the reference names none (see `effective_tag`)."""

    digest: str | None
    """`algorithm:hex` when the reference is pinned to a digest."""

    written_name: str
    """The name (registry and repository) exactly as written, so patches keep its spelling."""

    @property
    def repository_key(self) -> str:
        """`registry/repository`: the identity registry events are matched to workloads by."""
        return f"{self.registry}/{self.repository}"

    @property
    def effective_tag(self) -> str | None:
        """The tag a runtime resolves: the written tag, else `latest` unless digest-pinned.

        A reference with only a digest (`nginx@sha256:…`) names content, not a tag, so it
        has no effective tag and no version policy can move it.
        """
        if self.tag is not None:
            return self.tag
        return None if self.digest is not None else DEFAULT_TAG

    @property
    def written(self) -> str:
        """The whole reference in the form it was written (name, tag, digest)."""
        return _join(self.written_name, self.tag, self.digest)

    def with_tag(self, tag: str, digest: str | None = None) -> str:
        """The reference for `tag` (and `digest`) in the same repository, spelled as written.

        The name is never touched, so a patch cannot move a workload to another repository or
        rewrite `nginx` as `docker.io/library/nginx`.
        """
        validate_tag(tag)
        if digest is not None:
            validate_digest(digest)
        return _join(self.written_name, tag, digest)

    def __str__(self) -> str:
        """Canonical form: `docker.io/library/nginx:latest`, `…/app:1.0@sha256:…`."""
        return _join(self.repository_key, self.effective_tag, self.digest)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImageRef):
            return NotImplemented
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def parse(reference: str) -> ImageRef:
    """Parse and normalise an image reference; raise `ImageReferenceError` if it is invalid."""
    if not isinstance(reference, str):
        raise ImageReferenceError(f"image reference {reference!r} is not a string")
    if not reference:
        raise ImageReferenceError("image reference is empty")
    if any(character.isspace() for character in reference):
        raise ImageReferenceError(f"image reference {reference!r} contains whitespace")

    name_and_tag, at, digest = reference.partition("@")
    if at:
        _check_digest(reference, digest)
    tag: str | None = None
    colon = name_and_tag.rfind(":")
    if colon > name_and_tag.rfind("/"):
        name, tag = name_and_tag[:colon], name_and_tag[colon + 1 :]
        _check_tag(reference, tag)
    else:
        name = name_and_tag
    if not name:
        raise ImageReferenceError(f"image reference {reference!r} has no repository name")
    if len(name) > _NAME_MAX_LENGTH:
        raise ImageReferenceError(
            f"image reference {reference!r}: name is longer than {_NAME_MAX_LENGTH} characters"
        )

    first, slash, rest = name.partition("/")
    if slash and _looks_like_host(first):
        registry = _normalize_host(f"image reference {reference!r}", first)
        path = rest
    else:
        registry = DEFAULT_REGISTRY
        path = name
    _check_path(reference, path)
    return ImageRef(
        registry=registry,
        repository=_official(registry, path),
        tag=tag,
        digest=digest if at else None,
        written_name=name,
    )


def with_tag(reference: str | ImageRef, tag: str, digest: str | None = None) -> str:
    """`reference` moved to `tag` (and `digest`), keeping the name as written.

    `with_tag("nginx:1.25", "1.26")` is `"nginx:1.26"`; with a digest the result is
    `"nginx:1.26@sha256:…"`.
    """
    ref = parse(reference) if isinstance(reference, str) else reference
    return ref.with_tag(tag, digest)


def normalize_registry(host: str) -> str:
    """A registry host as webhooks report it, normalised the way `parse` normalises hosts.

    Accepts what payloads carry: bare hosts, hosts with ports, and URLs
    (`https://registry.hub.docker.com/u/team/app/` gives `docker.io`).
    """
    text = host.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    if not text:
        raise ImageReferenceError(f"registry host {host!r} is empty")
    return _normalize_host(f"registry host {host!r}", text)


def repository_key(host: str, repository: str) -> str:
    """The `repository_key` of `repository` in registry `host`, as webhook payloads say it.

    Docker Hub may name official images `nginx` or `library/nginx`; both give
    `docker.io/library/nginx`. Repository names are lowered because some registries report
    owners with their display case (GHCR's `MyOrg`) while references are always lower case.
    """
    registry = normalize_registry(host)
    path = repository.strip().strip("/").lower()
    _check_path(f"{host}/{repository}", path)
    return f"{registry}/{_official(registry, path)}"


def validate_tag(tag: str) -> str:
    """Return `tag` if it is a valid tag, else raise `ImageReferenceError`."""
    _check_tag(tag, tag)
    return tag


def validate_digest(digest: str) -> str:
    """Return `digest` if it is a valid `algorithm:hex` digest, else raise."""
    _check_digest(digest, digest)
    return digest


def _join(name: str, tag: str | None, digest: str | None) -> str:
    text = name if tag is None else f"{name}:{tag}"
    return text if digest is None else f"{text}@{digest}"


def _looks_like_host(component: str) -> bool:
    return "." in component or ":" in component or component.lower() == "localhost"


def _normalize_host(context: str, host: str) -> str:
    if not _HOST.fullmatch(host):
        raise ImageReferenceError(f"{context}: {host!r} is not a valid registry host")
    lowered = host.lower()
    return DEFAULT_REGISTRY if lowered in DOCKER_HUB_ALIASES else lowered


def _official(registry: str, path: str) -> str:
    if registry == DEFAULT_REGISTRY and "/" not in path:
        return f"{_OFFICIAL_NAMESPACE}/{path}"
    return path


def _check_path(reference: str, path: str) -> None:
    if not path:
        raise ImageReferenceError(f"image reference {reference!r} has no repository path")
    for component in path.split("/"):
        if _PATH_COMPONENT.fullmatch(component):
            continue
        if not component:
            problem = "has an empty path component"
        elif component != component.lower():
            problem = f"repository names must be lower case ({component!r})"
        else:
            problem = (
                f"{component!r} is not a valid path component (lower-case letters and digits, "
                "separated by '.', '_', '__' or '-')"
            )
        raise ImageReferenceError(f"image reference {reference!r}: {problem}")


def _check_tag(reference: str, tag: str) -> None:
    if not _TAG.fullmatch(tag):
        raise ImageReferenceError(
            f"image reference {reference!r}: tag {tag!r} is not valid (1 to 128 characters of "
            "letters, digits, '_', '.', '-', not starting with '.' or '-')"
        )


def _check_digest(reference: str, digest: str) -> None:
    match = _DIGEST.fullmatch(digest)
    if match is None:
        raise ImageReferenceError(
            f"image reference {reference!r}: digest {digest!r} is not 'algorithm:hex'"
        )
    length = _REGISTERED_DIGESTS.get(match["algorithm"])
    hex_part = match["hex"]
    if length is not None and (len(hex_part) != length or hex_part != hex_part.lower()):
        raise ImageReferenceError(
            f"image reference {reference!r}: a {match['algorithm']} digest is "
            f"{length} lower-case hex digits"
        )
