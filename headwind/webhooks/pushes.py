"""What every webhook parser produces, and the one error it raises.

Registries describe a push in a dozen shapes; Headwind needs four facts from each: the registry
host, the repository, the tag (when the push named one) and the manifest digest (when known).
`PushedImage` holds them already normalised through `headwind.images`, so matching against the
index is the same comparison for every vendor (by registry and repository, never by
name alone).

A payload that is well-formed JSON but not what its sender documents raises `PayloadError`,
whose message names the field that is missing or wrong: the API answers 422 with it, and an
operator who pasted the wrong URL into a registry's settings can read what went wrong.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from headwind import images
from headwind.detection import PushedTag

__all__ = [
    "Context",
    "PayloadError",
    "PushedImage",
    "field",
    "located",
    "mapping",
    "optional_text",
    "pushed",
    "text",
]


class PayloadError(ValueError):
    """A webhook payload lacks a field its sender documents, or holds a wrong value there."""


@dataclass(frozen=True)
class Context:
    """What a parser may need besides the payload: the request's headers and settings."""

    event: str | None = None
    """The sender's event-type header, when it has one (GitHub's `X-GitHub-Event`)."""
    artifactory_registry: str | None = None
    """`HEADWIND_WEBHOOK_ARTIFACTORY_REGISTRY`: how Artifactory's images are pulled."""


@dataclass(frozen=True)
class PushedImage:
    """One image a registry says was pushed, normalised."""

    repository: str
    """Normalised `registry/repository` (`images.repository_key`), what the index is keyed by."""
    tag: str | None
    """The tag pushed, or None for a push by digest only (a platform manifest of an index)."""
    digest: str | None
    """The manifest digest, when the payload carries it."""

    @property
    def reference(self) -> str:
        """`registry/repository:tag@digest`, for logs and the webhook's answer."""
        text = self.repository if self.tag is None else f"{self.repository}:{self.tag}"
        return text if self.digest is None else f"{text}@{self.digest}"

    def pushed_tag(self) -> PushedTag | None:
        """The detection input, or None: a push without a tag names no candidate version."""
        if self.tag is None:
            return None
        return PushedTag(repository=self.repository, tag=self.tag, digest=self.digest)


def pushed(host: str, repository: str, tag: str | None, digest: str | None) -> PushedImage:
    """Normalise one push; `PayloadError` when the host, name or tag is invalid.

    A malformed digest is dropped, not refused: the tag is what gets matched and the digest
    only a hint (the update workflow resolves digests itself), and vendors' own documented
    examples carry masked or shortened digests (ACR's `sha256:xxxx…`, GitHub's 40 digits).
    """
    try:
        key = images.repository_key(host, repository)
        if tag is not None:
            images.validate_tag(tag)
        if digest is not None and not _is_digest(digest):
            digest = None
    except images.ImageReferenceError as error:
        raise PayloadError(str(error)) from None
    return PushedImage(repository=key, tag=tag, digest=digest)


def _is_digest(digest: str) -> bool:
    try:
        images.validate_digest(digest)
    except images.ImageReferenceError:
        return False
    return True


def field(document: Any, path: str) -> Any:
    """The value at dotted `path` (`push_data.tag`), or `PayloadError` naming what is missing."""
    current = document
    walked: list[str] = []
    for key in path.split("."):
        if not isinstance(current, Mapping):
            where = ".".join(walked) or "the payload"
            raise PayloadError(f"{where} is not a JSON object (looking for {path!r})")
        walked.append(key)
        if key not in current or current[key] is None:
            raise PayloadError(f"field {'.'.join(walked)!r} is missing")
        current = current[key]
    return current


def text(document: Any, path: str) -> str:
    """A non-empty string at `path`, or `PayloadError`."""
    value = field(document, path)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"field {path!r} must be a non-empty string, not {value!r}")
    return value.strip()


def optional_text(document: Any, path: str) -> str | None:
    """A string at `path`, None when absent, null or empty; `PayloadError` for another type."""
    try:
        value = field(document, path)
    except PayloadError as error:
        if "is missing" in str(error):
            return None
        raise
    if not isinstance(value, str):
        raise PayloadError(f"field {path!r} must be a string, not {value!r}")
    return value.strip() or None


def mapping(document: Any, path: str) -> Mapping[str, Any]:
    """The JSON object at `path`, or `PayloadError`."""
    value = field(document, path)
    if not isinstance(value, Mapping):
        raise PayloadError(f"field {path!r} must be a JSON object")
    return value


@contextlib.contextmanager
def located(where: str) -> Iterator[None]:
    """Prefix `PayloadError`s raised inside with where they happened (`events[2]: …`)."""
    try:
        yield
    except PayloadError as error:
        raise PayloadError(f"{where}: {error}") from None
