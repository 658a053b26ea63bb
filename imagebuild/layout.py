"""Writing an OCI image layout: blobs by digest, configuration, manifest and index.

The layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md) is what
`crane push DIR REF` and other OCI tools read. Reproducibility comes from writing nothing that
is not a function of the inputs: JSON with sorted keys and no whitespace, timestamps from the
caller (SOURCE_DATE_EPOCH), layers taken as they are.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "MEDIA_TYPE_CONFIG",
    "MEDIA_TYPE_INDEX",
    "MEDIA_TYPE_LAYER",
    "MEDIA_TYPE_MANIFEST",
    "ImageSpec",
    "Layer",
    "Written",
    "canonical_json",
    "image_config",
    "read_layer",
    "write_layout",
]

MEDIA_TYPE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_TYPE_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_TYPE_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_TYPE_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Layer:
    """One gzip-compressed tar archive and the digests the manifest and config need."""

    path: Path
    digest: str
    """`sha256:<hex>` of the compressed bytes: the blob's name and the manifest's reference."""
    size: int
    """Compressed size in bytes."""
    diff_id: str
    """`sha256:<hex>` of the uncompressed tar: what the image configuration lists."""
    uncompressed_size: int
    created_by: str
    """What made the layer, for the configuration's history (shown by `crane config`)."""


@dataclass(frozen=True)
class ImageSpec:
    """Everything in the image configuration that is not about layers."""

    created: datetime
    entrypoint: Sequence[str]
    cmd: Sequence[str] = ()
    user: str = ""
    env: Sequence[str] = ()
    working_dir: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    architecture: str = "amd64"
    os: str = "linux"


@dataclass(frozen=True)
class Written:
    """What `write_layout` produced."""

    manifest_digest: str
    config_digest: str
    layers: tuple[Layer, ...]

    @property
    def uncompressed_size(self) -> int:
        """Bytes of the unpacked image: what a node's disk holds once it is pulled."""
        return sum(layer.uncompressed_size for layer in self.layers)

    @property
    def compressed_size(self) -> int:
        """Bytes transferred by a pull of every layer."""
        return sum(layer.size for layer in self.layers)


def read_layer(path: Path, created_by: str) -> Layer:
    """Digest a gzip-compressed layer archive, compressed and uncompressed, in one pass each."""
    compressed = hashlib.sha256()
    with path.open("rb") as raw:
        while chunk := raw.read(_CHUNK):
            compressed.update(chunk)
    uncompressed = hashlib.sha256()
    uncompressed_size = 0
    with gzip.open(path, "rb") as tar:
        while chunk := tar.read(_CHUNK):
            uncompressed.update(chunk)
            uncompressed_size += len(chunk)
    return Layer(
        path=path,
        digest=f"sha256:{compressed.hexdigest()}",
        size=path.stat().st_size,
        diff_id=f"sha256:{uncompressed.hexdigest()}",
        uncompressed_size=uncompressed_size,
        created_by=created_by,
    )


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """The one byte form of a JSON document: sorted keys, no insignificant whitespace."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def image_config(spec: ImageSpec, layers: Sequence[Layer]) -> dict[str, Any]:
    """The OCI image configuration of `spec` over `layers` (lowest first)."""
    created = _rfc3339(spec.created)
    config: dict[str, Any] = {"Entrypoint": list(spec.entrypoint)}
    if spec.cmd:
        config["Cmd"] = list(spec.cmd)
    if spec.user:
        config["User"] = spec.user
    if spec.env:
        config["Env"] = list(spec.env)
    if spec.working_dir:
        config["WorkingDir"] = spec.working_dir
    if spec.labels:
        config["Labels"] = dict(spec.labels)
    return {
        "created": created,
        "architecture": spec.architecture,
        "os": spec.os,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
        "history": [{"created": created, "created_by": layer.created_by} for layer in layers],
    }


def write_layout(
    directory: Path, spec: ImageSpec, layers: Sequence[Layer], ref_name: str | None = None
) -> Written:
    """Replace `directory` with an OCI layout holding one image made of `layers`.

    Layer blobs are hard-linked from their archives when both are on one file system (they are
    large and never modified), else copied. `ref_name` becomes the index's
    `org.opencontainers.image.ref.name` annotation, the tag tools show for the layout.
    """
    staging = directory.with_name(directory.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    blobs = staging / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    for layer in layers:
        _link_or_copy(layer.path, blobs / _hex(layer.digest))
    config = canonical_json(image_config(spec, layers))
    config_digest = _write_blob(blobs, config)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_MANIFEST,
        "config": {"mediaType": MEDIA_TYPE_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [
            {"mediaType": MEDIA_TYPE_LAYER, "digest": layer.digest, "size": layer.size}
            for layer in layers
        ],
    }
    if spec.labels:
        manifest["annotations"] = dict(spec.labels)
    manifest_bytes = canonical_json(manifest)
    manifest_digest = _write_blob(blobs, manifest_bytes)
    descriptor: dict[str, Any] = {
        "mediaType": MEDIA_TYPE_MANIFEST,
        "digest": manifest_digest,
        "size": len(manifest_bytes),
        "platform": {"architecture": spec.architecture, "os": spec.os},
    }
    if ref_name:
        descriptor["annotations"] = {"org.opencontainers.image.ref.name": ref_name}
    index = {"schemaVersion": 2, "mediaType": MEDIA_TYPE_INDEX, "manifests": [descriptor]}
    (staging / "index.json").write_bytes(canonical_json(index))
    (staging / "oci-layout").write_bytes(canonical_json({"imageLayoutVersion": "1.0.0"}))

    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)
    return Written(
        manifest_digest=manifest_digest, config_digest=config_digest, layers=tuple(layers)
    )


def _write_blob(blobs: Path, content: bytes) -> str:
    digest = f"sha256:{hashlib.sha256(content).hexdigest()}"
    (blobs / _hex(digest)).write_bytes(content)
    return digest


def _hex(digest: str) -> str:
    return digest.removeprefix("sha256:")


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
