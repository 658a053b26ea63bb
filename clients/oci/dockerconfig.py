"""Registry credentials from Docker config JSON, the format of `imagePullSecrets`.

Polling a private registry must use the credentials the workload itself pulls with: the
`.dockerconfigjson` of its imagePullSecrets (and its ServiceAccount's), or a legacy
`.dockercfg`. Which entry applies follows the kubelet's rules, so Headwind sees exactly what
the node would: a key matches by host (`*.example.com` globs one label per `*`), by port if
it names one, and by path prefix (`registry.example.com/team` only covers `team/...`); the
most specific match wins. Docker Hub's many spellings (`https://index.docker.io/v1/`,
`docker.io`, ...) are one registry.

Identity tokens (`identitytoken`, an OAuth2 refresh token) are not supported yet; such
entries are skipped.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from headwind import images

from .auth import Credentials

__all__ = ["DockerConfigError", "RegistryCredential", "find_credentials", "parse_docker_config"]


class DockerConfigError(ValueError):
    """The secret's content is not Docker config JSON."""


@dataclass(frozen=True)
class RegistryCredential:
    """One entry of a Docker config: where it applies and what it holds."""

    host: str
    """Normalised host, with port if the key named one; may hold `*` globs."""
    path: str
    """Repository path prefix the entry is limited to ('' for the whole registry)."""
    credentials: Credentials

    def matches(self, registry: str, repository: str) -> bool:
        registry_host, _, registry_port = registry.partition(":")
        host, _, port = self.host.partition(":")
        if port and port != registry_port:
            return False
        if not _host_matches(host, registry_host):
            return False
        return not self.path or repository == self.path or repository.startswith(self.path + "/")

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Longer paths, then exact hosts, then longer hosts win (the kubelet's order)."""
        return (len(self.path), "*" not in self.host, len(self.host))


def parse_docker_config(content: bytes | str | Mapping[str, Any]) -> list[RegistryCredential]:
    """Every usable entry of a `.dockerconfigjson` (`{"auths": {...}}`) or `.dockercfg`."""
    data: Any = content
    if isinstance(content, bytes | str):
        try:
            data = json.loads(content)
        except ValueError as error:
            raise DockerConfigError(f"not JSON: {error}") from error
    if not isinstance(data, Mapping):
        raise DockerConfigError("not a JSON object")
    auths = data.get("auths", data)  # .dockercfg is the `auths` object itself
    if not isinstance(auths, Mapping):
        raise DockerConfigError("`auths` is not an object")
    entries: list[RegistryCredential] = []
    for key, entry in auths.items():
        credentials = _credentials(entry)
        location = _location(str(key))
        if credentials is not None and location is not None:
            entries.append(RegistryCredential(*location, credentials))
    return entries


def find_credentials(
    entries: Iterable[RegistryCredential], registry: str, repository: str
) -> Credentials | None:
    """The credentials of the most specific entry matching `registry`/`repository`."""
    registry = _normalise_host(registry)
    matching = [entry for entry in entries if entry.matches(registry, repository)]
    if not matching:
        return None
    return max(matching, key=lambda entry: entry.specificity).credentials


def _credentials(entry: object) -> Credentials | None:
    if not isinstance(entry, Mapping):
        return None
    username, password = entry.get("username"), entry.get("password")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded and not (username and password):
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep:
            return None
    if isinstance(username, str) and username and isinstance(password, str):
        return Credentials(username, password)
    return None


def _location(key: str) -> tuple[str, str] | None:
    """(host, path prefix) of a config key: a URL, `host[:port][/path]`, or a glob."""
    text = key.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    host, _, path = text.partition("/")
    if not host:
        return None
    path = path.strip("/")
    if path in ("v1", "v2"):  # `https://index.docker.io/v1/` is an API root, not a path
        path = ""
    return _normalise_host(host), path


def _normalise_host(host: str) -> str:
    host = host.lower()
    if "*" in host:
        return host
    try:
        return images.normalize_registry(host)
    except images.ImageReferenceError:
        return host


def _host_matches(pattern: str, host: str) -> bool:
    """Globs match label by label: `*.example.com` covers `a.example.com`, not `example.com`."""
    pattern_labels, host_labels = pattern.split("."), host.split(".")
    if len(pattern_labels) != len(host_labels):
        return False
    return all(fnmatch.fnmatchcase(h, p) for p, h in zip(pattern_labels, host_labels, strict=True))
