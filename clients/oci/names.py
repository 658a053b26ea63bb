"""Repository names and references (tags or digests) as the OCI Distribution grammar allows.

Every operation splices them into a URL path (`/v2/<repository>/manifests/<reference>`), so
a name outside the grammar (`../`, `?`, spaces) is refused before any request is sent, by
the client and by anything else that builds requests on its session.
"""

from __future__ import annotations

import re

from . import digests

__all__ = ["check_reference", "check_repository"]

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")


def check_repository(repository: str) -> None:
    """Raise `ValueError` unless `repository` is a full repository path (`team/app`)."""
    if not _REPOSITORY.match(repository):
        raise ValueError(f"not a valid repository name: {repository!r}")


def check_reference(reference: str) -> None:
    """Raise `ValueError` unless `reference` is a tag or a digest."""
    if not (_TAG.match(reference) or digests.is_digest(reference)):
        raise ValueError(f"not a valid tag or digest: {reference!r}")
