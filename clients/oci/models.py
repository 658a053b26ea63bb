"""What the client returns: descriptors (what a manifest points at) and fetched manifests.

Plain frozen dataclasses, serialisable by Temporal's converter, so activities can return
them as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import mediatypes

__all__ = ["Descriptor", "Manifest"]


@dataclass(frozen=True)
class Descriptor:
    """A piece of content by type, digest and size, as the OCI spec describes one."""

    media_type: str
    digest: str
    size: int

    @property
    def is_index(self) -> bool:
        """Whether this is a multi-platform index (OCI index or Docker manifest list)."""
        return self.media_type in mediatypes.INDEX_MEDIA_TYPES

    def as_json(self) -> dict[str, Any]:
        """The descriptor as it appears inside a manifest or index."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """A manifest's bytes exactly as the registry served them, and its descriptor.

    The bytes are kept rather than parsed JSON: the digest is over the bytes, and
    re-serialising would change it.
    """

    descriptor: Descriptor
    content: bytes

    @property
    def digest(self) -> str:
        return self.descriptor.digest

    @property
    def media_type(self) -> str:
        return self.descriptor.media_type

    @property
    def is_index(self) -> bool:
        return self.descriptor.is_index

    def json(self) -> dict[str, Any]:
        """The parsed manifest (an object, or `ValueError`)."""
        body = json.loads(self.content)
        if not isinstance(body, dict):
            raise ValueError("manifest is not a JSON object")
        return body
