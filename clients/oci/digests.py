"""Content digests (`sha256:<hex>`): computing them and recognising them.

A registry is only trusted as far as its content hashes to the digest it claims, so every
digest the client returns is either computed from bytes it holds or checked for shape.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["is_digest", "sha256_digest"]

_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_SHA256 = re.compile(r"^sha256:[a-f0-9]{64}$")


def sha256_digest(data: bytes) -> str:
    """The OCI digest of `data`."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def is_digest(value: str) -> bool:
    """Whether `value` is a digest (the OCI grammar; sha256 ones must be 64 lowercase hex)."""
    if not _DIGEST.match(value):
        return False
    return not value.startswith("sha256:") or bool(_SHA256.match(value))
