"""Parsing `WWW-Authenticate` headers (RFC 7235) into the challenges a registry offers.

A registry says how to authenticate in its 401: `Bearer realm=...,service=...,scope=...`
(the Docker token flow, used by Docker Hub, GHCR, Harbor, Quay...) or `Basic realm=...`
(Distribution with htpasswd, Artifactory). Quoted values may hold commas (`pull,push`), so
this is a small tokenizer rather than a `split(",")`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Challenge", "parse_www_authenticate"]

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_SCHEME = re.compile(rf"[\s,]*({_TOKEN})(?=\s|$|,)")
# Unquoted values are looser than RFC tokens: registries send `realm=https://...` unquoted.
_PARAM = re.compile(rf"[\s,]*({_TOKEN})\s*=\s*({_QUOTED}|[^\s,\"]+)")
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Challenge:
    """One authentication scheme offered by a registry, with its parameters."""

    scheme: str
    """Lower-cased: `bearer` or `basic` (others are parsed and ignored by the client)."""

    params: Mapping[str, str] = field(default_factory=dict)
    """Parameter names lower-cased, values unquoted."""

    @property
    def realm(self) -> str | None:
        """For bearer: the token endpoint URL; for basic: a label."""
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        return self.params.get("service")

    @property
    def scope(self) -> str | None:
        return self.params.get("scope")


def parse_www_authenticate(header: str) -> list[Challenge]:
    """Every challenge in `header`, in order; unparseable trailing text is ignored."""
    challenges: list[Challenge] = []
    position = 0
    while position < len(header):
        scheme = _SCHEME.match(header, position)
        if scheme is None:
            break
        position = scheme.end()
        params: dict[str, str] = {}
        while (param := _PARAM.match(header, position)) is not None:
            params[param.group(1).lower()] = _unquote(param.group(2))
            position = param.end()
        challenges.append(Challenge(scheme.group(1).lower(), params))
    return challenges


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _ESCAPE.sub(r"\1", value[1:-1])
    return value
