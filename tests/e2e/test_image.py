"""scripts/build-image: Headwind's image as the script builds, reports and pushes it.

The build runs for real (mmdebstrap from Debian's archive, uv from its cache; the layer cache
in ~/.cache/headwind/image makes repeats quick): its layout must describe a non-root image of
Headwind's version and commit within the size budget, pushing it with crane must land the same
manifest in the local environment's registry, and building again from scratch must give the
same digest.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus

from tests.deploy.rendering import ROOT

pytestmark = pytest.mark.e2e

BUILD_TIMEOUT = 1800
SIZE_BUDGET = 150_000_000
"""Bytes of the unpacked layers (the layer archives' total) the image may take."""


def build(out: Path, *args: str) -> dict[str, Any]:
    """Run scripts/build-image into `out`; its summary (`<out>.json`)."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-image"), "--out", str(out), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    summary: dict[str, Any] = json.loads(out.with_name(out.name + ".json").read_text())
    return summary


def blob(layout: Path, digest: str) -> Any:
    return json.loads((layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_text())


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("image") / "layout"
    return out, build(out)


def test_image_is_headwind_running_as_nonroot(image: tuple[Path, dict[str, Any]]) -> None:
    layout, summary = image
    manifest = blob(layout, summary["manifest_digest"])
    config = blob(layout, manifest["config"]["digest"])
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    labels = config["config"]["Labels"]
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Entrypoint"] == ["/opt/headwind/venv/bin/headwind"]
    assert labels["org.opencontainers.image.version"] == version
    assert labels["org.opencontainers.image.revision"] in (head, f"{head}-dirty")
    assert labels["org.opencontainers.image.source"]
    assert config["rootfs"]["diff_ids"] == [layer["diff_id"] for layer in summary["layers"]]


def test_image_stays_within_its_size_budget(image: tuple[Path, dict[str, Any]]) -> None:
    _, summary = image
    assert summary["uncompressed_size"] <= SIZE_BUDGET, summary["uncompressed_size"]


def test_push_lands_the_same_manifest(
    image: tuple[Path, dict[str, Any]], dev_env: DevStatus
) -> None:
    layout, summary = image
    reference = f"{dev_env.registry}/e2e/headwind:build"
    build(layout, "--push", reference)
    response = httpx.head(
        f"http://{dev_env.registry}/v2/e2e/headwind/manifests/build",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert response.status_code == 200
    assert response.headers["Docker-Content-Digest"] == summary["manifest_digest"]


def test_building_again_from_scratch_gives_the_same_digest(
    image: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, summary = image
    again = build(tmp_path / "again", "--rebuild")
    assert again["manifest_digest"] == summary["manifest_digest"]
    assert [layer["digest"] for layer in again["layers"]] == [
        layer["digest"] for layer in summary["layers"]
    ]
