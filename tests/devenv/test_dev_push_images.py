"""Synthetic images of `headwind dev push`: valid, deterministic, one digest per tag and salt."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from headwind_dev import push

from clients import oci
from clients.oci import mediatypes

AMD64 = push.Platform("linux", "amd64")
ARM64 = push.Platform("linux", "arm64", "v8")


def test_single_platform_image_is_a_valid_oci_image() -> None:
    image = push.build_image("team/app", "1.0", (AMD64,))
    assert image.index is None
    (only,) = image.platforms
    manifest = json.loads(only.manifest.data)
    config = json.loads(only.config.data)

    assert image.top is only.manifest
    assert manifest["mediaType"] == mediatypes.OCI_MANIFEST
    assert manifest["config"] == only.config.descriptor.as_json()
    assert manifest["layers"] == [only.layer.descriptor.as_json()]
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    tar = gzip.decompress(only.layer.data)
    assert config["rootfs"] == {"type": "layers", "diff_ids": [oci.sha256_digest(tar)]}
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        member = archive.extractfile(push.LAYER_PATH)
        assert member is not None
        assert b"tag: 1.0" in member.read()


def test_several_platforms_make_an_index_of_one_manifest_each() -> None:
    image = push.build_image("team/app", "1.0", (AMD64, ARM64))
    assert image.index is not None
    index = json.loads(image.index.data)

    assert image.top is image.index
    assert index["mediaType"] == mediatypes.OCI_INDEX
    assert [m["platform"] for m in index["manifests"]] == [
        {"os": "linux", "architecture": "amd64"},
        {"os": "linux", "architecture": "arm64", "variant": "v8"},
    ]
    assert [m["digest"] for m in index["manifests"]] == [
        p.manifest.descriptor.digest for p in image.platforms
    ]
    assert len({p.layer.descriptor.digest for p in image.platforms}) == 2


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        pytest.param(("1.0", ""), ("1.0", ""), True, id="same-tag-same-digest"),
        pytest.param(("1.0", ""), ("1.1", ""), False, id="other-tag-other-digest"),
        pytest.param(("1.0", ""), ("1.0", "rebuild"), False, id="salt-changes-digest"),
    ],
)
def test_digests_are_a_function_of_tag_and_salt(
    first: tuple[str, str], second: tuple[str, str], same: bool
) -> None:
    a = push.build_image("team/app", first[0], (AMD64, ARM64), salt=first[1])
    b = push.build_image("team/app", second[0], (AMD64, ARM64), salt=second[1])
    assert (a.top.descriptor.digest == b.top.descriptor.digest) is same


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("linux/amd64", (AMD64,), id="one"),
        pytest.param("linux/amd64, linux/arm64/v8", (AMD64, ARM64), id="two-with-variant"),
        pytest.param("linux/amd64,linux/amd64", (AMD64,), id="duplicates-dropped"),
    ],
)
def test_parse_platforms(text: str, expected: tuple[push.Platform, ...]) -> None:
    assert push.parse_platforms(text) == expected


@pytest.mark.parametrize("text", ["linux", "linux/", "a/b/c/d", ""])
def test_parse_platforms_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="expected OS/ARCH"):
        push.parse_platforms(text)


@pytest.mark.parametrize(
    ("reference", "registry", "expected"),
    [
        pytest.param(
            "localhost:5000/team/app:1.0",
            None,
            ("localhost:5000", "team/app", "1.0", None),
            id="reference-names-registry",
        ),
        pytest.param(
            "team/app:1.0",
            "127.0.0.1:9999",
            ("127.0.0.1:9999", "team/app", "1.0", None),
            id="registry-option",
        ),
        pytest.param(
            "app", "http://reg.lan:5000", ("reg.lan:5000", "app", "latest", True), id="http-url"
        ),
        pytest.param(
            "app:2", "https://reg.lan", ("reg.lan", "app", "2", False), id="https-url-no-library"
        ),
        pytest.param(
            "app:3", None, ("127.0.0.1:4242", "app", "3", None), id="dev-environment-registry"
        ),
    ],
)
def test_resolve_target(
    reference: str,
    registry: str | None,
    expected: tuple[str, str, str, bool | None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("HEADWIND_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HEADWIND_DEV_PORT_REGISTRY", "4242")
    assert push.resolve_target(reference, registry) == expected


@pytest.mark.parametrize(
    ("reference", "registry", "message"),
    [
        pytest.param("localhost:5000/app:1", "other:1", "already names registry", id="two-regs"),
        pytest.param("app@sha256:" + "a" * 64, "r:1", "not a digest", id="digest"),
    ],
)
def test_resolve_target_refuses(reference: str, registry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        push.resolve_target(reference, registry)
