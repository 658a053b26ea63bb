"""Headwind's own webhook format, for CI pipelines and registries without a supported one.

    {"image": "registry.example.com/team/app:1.4.2", "digest": "sha256:…"}
    {"images": ["registry.example.com/team/app:1.4.2", {"image": "…:2.0.0", "digest": "…"}]}

`image` is a full reference, parsed with the same rules as workload images (so `nginx:1.27`
means `docker.io/library/nginx`); it must name a tag or a digest. `digest` is optional and may
also be written in the reference (`app:1.4.2@sha256:…`). Documented in docs/webhooks.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwind import images
from headwind.webhooks import pushes
from headwind.webhooks.pushes import Context, PayloadError, PushedImage

__all__ = ["parse"]


def parse(payload: Any, context: Context) -> list[PushedImage]:
    """Every image the document lists."""
    if isinstance(payload, Mapping) and "images" in payload:
        entries = payload["images"]
        if not isinstance(entries, list) or not entries:
            raise PayloadError("field 'images' must be a non-empty JSON array")
        found = []
        for position, entry in enumerate(entries):
            with pushes.located(f"images[{position}]"):
                found.append(_entry(entry))
        return found
    return [_entry(payload)]


def _entry(entry: Any) -> PushedImage:
    if isinstance(entry, str):
        entry = {"image": entry}
    reference = pushes.text(entry, "image")
    digest = pushes.optional_text(entry, "digest")
    try:
        ref = images.parse(reference)
    except images.ImageReferenceError as error:
        raise PayloadError(f"field 'image': {error}") from None
    if ref.tag is None and ref.digest is None and digest is None:
        raise PayloadError(f"field 'image': {reference!r} names no tag (write `{reference}:1.2.3`)")
    if digest is not None and ref.digest is not None and digest != ref.digest:
        raise PayloadError("fields 'image' and 'digest' name different digests")
    return pushes.pushed(ref.registry, ref.repository, ref.tag, digest or ref.digest)
