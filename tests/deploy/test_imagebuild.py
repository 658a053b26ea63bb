"""imagebuild: OCI layouts that depend only on their inputs, venvs that forget their build path.

Layers here are small tar archives made in the test; scripts/build-image's own run (the e2e
test in tests/e2e/test_image.py) covers the real ones.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from imagebuild import layout, relocating

SPEC = layout.ImageSpec(
    created=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    entrypoint=["/opt/headwind/venv/bin/headwind"],
    cmd=["run"],
    user="65532:65532",
    env=["PATH=/opt/headwind/venv/bin:/usr/bin:/bin"],
    working_dir="/home/nonroot",
    labels={"org.opencontainers.image.version": "0.1.0"},
)


def _layer(path: Path, files: dict[str, bytes]) -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(content))
    path.write_bytes(gzip.compress(raw.getvalue(), mtime=0))
    return path


def _sha(content: bytes) -> str:
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


def _read(directory: Path, digest: str) -> Any:
    return json.loads((directory / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_text())


@pytest.fixture
def layers(tmp_path: Path) -> list[layout.Layer]:
    base = _layer(tmp_path / "base.tar.gz", {"etc/os-release": b"ID=debian\n"})
    app = _layer(tmp_path / "app.tar.gz", {"opt/headwind/venv/bin/headwind": b"#!/x\n"})
    return [layout.read_layer(base, "base"), layout.read_layer(app, "app")]


def test_layer_digests(tmp_path: Path) -> None:
    archive = _layer(tmp_path / "l.tar.gz", {"a": b"hello"})
    layer = layout.read_layer(archive, "made by a test")
    assert layer.digest == _sha(archive.read_bytes())
    assert layer.size == archive.stat().st_size
    assert layer.diff_id == _sha(gzip.decompress(archive.read_bytes()))
    assert layer.uncompressed_size == len(gzip.decompress(archive.read_bytes()))


def test_layout_is_a_valid_oci_image(tmp_path: Path, layers: list[layout.Layer]) -> None:
    out = tmp_path / "image"
    written = layout.write_layout(out, SPEC, layers, ref_name="0.1.0")
    assert json.loads((out / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    for blob in (out / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    (descriptor,) = json.loads((out / "index.json").read_text())["manifests"]
    assert descriptor["digest"] == written.manifest_digest
    assert descriptor["annotations"] == {"org.opencontainers.image.ref.name": "0.1.0"}
    manifest = _read(out, written.manifest_digest)
    assert manifest["mediaType"] == layout.MEDIA_TYPE_MANIFEST
    assert [entry["digest"] for entry in manifest["layers"]] == [x.digest for x in layers]
    config = _read(out, manifest["config"]["digest"])
    assert config["rootfs"] == {"type": "layers", "diff_ids": [x.diff_id for x in layers]}
    assert config["created"] == "2025-01-02T03:04:05Z"
    assert config["config"] == {
        "Entrypoint": ["/opt/headwind/venv/bin/headwind"],
        "Cmd": ["run"],
        "User": "65532:65532",
        "Env": ["PATH=/opt/headwind/venv/bin:/usr/bin:/bin"],
        "WorkingDir": "/home/nonroot",
        "Labels": {"org.opencontainers.image.version": "0.1.0"},
    }
    assert [h["created_by"] for h in config["history"]] == ["base", "app"]
    assert written.uncompressed_size == sum(x.uncompressed_size for x in layers)


def test_same_inputs_same_digest(tmp_path: Path, layers: list[layout.Layer]) -> None:
    first = layout.write_layout(tmp_path / "one", SPEC, layers)
    second = layout.write_layout(tmp_path / "two", SPEC, layers)
    assert first.manifest_digest == second.manifest_digest


CHANGES = [
    pytest.param({"created": datetime(2025, 1, 2, 3, 4, 6, tzinfo=UTC)}, id="another time"),
    pytest.param({"labels": {"org.opencontainers.image.version": "0.1.1"}}, id="another label"),
    pytest.param({"user": "0:0"}, id="another user"),
    pytest.param({"entrypoint": ["/bin/sh"]}, id="another entrypoint"),
]


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_changes_the_digest(
    tmp_path: Path, layers: list[layout.Layer], change: dict[str, Any]
) -> None:
    before = layout.write_layout(tmp_path / "before", SPEC, layers)
    after = layout.write_layout(tmp_path / "after", replace(SPEC, **change), layers)
    assert before.manifest_digest != after.manifest_digest


def test_rewriting_a_layout_replaces_it(tmp_path: Path, layers: list[layout.Layer]) -> None:
    out = tmp_path / "image"
    layout.write_layout(out, SPEC, layers)
    written = layout.write_layout(out, SPEC, layers[:1])
    blobs = {blob.name for blob in (out / "blobs" / "sha256").iterdir()}
    assert layers[1].digest.removeprefix("sha256:") not in blobs
    assert written.manifest_digest.removeprefix("sha256:") in blobs


# -- relocating ---------------------------------------------------------------------------------


def _venv(root: Path) -> tuple[Path, Path]:
    venv = root / "scratch" / "opt" / "headwind" / "venv"
    (venv / "bin").mkdir(parents=True)
    site = venv / "lib" / "python3.11" / "site-packages"
    info = site / "headwind-0.1.0.dist-info"
    info.mkdir(parents=True)
    script = venv / "bin" / "headwind"
    script.write_bytes(f"#!{venv}/bin/python\nfrom worker.cli import main\nmain()\n".encode())
    (venv / "bin" / "python").symlink_to("/usr/bin/python3.11")
    (venv / "bin" / "other").write_bytes(b"#!/bin/sh\necho unrelated\n")
    (info / "METADATA").write_text("Name: headwind\n")
    (info / "direct_url.json").write_text(f'{{"url": "file://{root}/dist/headwind.whl"}}')
    (info / "uv_cache.json").write_text('{"timestamp": {"secs_since_epoch": 1796186769}}')
    script_row = f"../../../bin/headwind,{relocating.record_hash(script.read_bytes())},"
    (info / "RECORD").write_text(
        "headwind-0.1.0.dist-info/METADATA,sha256=abc,15\n"
        "headwind-0.1.0.dist-info/direct_url.json,sha256=def,40\n"
        "headwind-0.1.0.dist-info/uv_cache.json,sha256=ghi,45\n"
        f"{script_row}{script.stat().st_size}\n"
        "headwind-0.1.0.dist-info/RECORD,,\n"
    )
    return venv, info


def test_relocate_rewrites_scripts_and_their_records(tmp_path: Path) -> None:
    venv, info = _venv(tmp_path)
    rewritten = relocating.relocate(venv, "/opt/headwind/venv")
    script = venv / "bin" / "headwind"
    assert rewritten == [script]
    content = script.read_bytes()
    assert content.startswith(b"#!/opt/headwind/venv/bin/python\n")
    assert (venv / "bin" / "other").read_bytes() == b"#!/bin/sh\necho unrelated\n"
    assert str((venv / "bin" / "python").readlink()) == "/usr/bin/python3.11"
    assert sorted(p.name for p in info.iterdir()) == ["METADATA", "RECORD"]
    assert info.joinpath("RECORD").read_text().splitlines() == [
        "headwind-0.1.0.dist-info/METADATA,sha256=abc,15",
        f"../../../bin/headwind,{relocating.record_hash(content)},{len(content)}",
        "headwind-0.1.0.dist-info/RECORD,,",
    ]


def test_relocated_venvs_are_identical_wherever_they_were_built(tmp_path: Path) -> None:
    trees = []
    for scratch in ("a", "b"):
        venv, _ = _venv(tmp_path / scratch)
        relocating.relocate(venv, "/opt/headwind/venv")
        trees.append(
            {
                str(path.relative_to(venv)): path.read_bytes()
                for path in sorted(venv.rglob("*"))
                if path.is_file() and not path.is_symlink()
            }
        )
    assert trees[0] == trees[1]


def test_record_hash_is_what_installers_write() -> None:
    # SHA-256 of nothing, url-safe base64 without padding, as pip and uv write it.
    assert relocating.record_hash(b"") == "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
