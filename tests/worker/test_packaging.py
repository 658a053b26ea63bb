"""The operator's wheel: what it carries, and that the local environment is not part of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_PACKAGES = {"headwind", "clients", "metrics", "activities", "workflows", "api", "worker"}


def _uv() -> str:
    cache = Path(os.environ.get("HEADWIND_CACHE_DIR", Path.home() / ".cache" / "headwind"))
    found = shutil.which("uv") or next(iter(sorted(cache.glob("tools/uv-*/bin/uv"))), None)
    if found is None:
        pytest.fail("uv is missing: run scripts/bootstrap")
    return str(found)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--wheel", "--quiet", "--out-dir", str(out), str(ROOT)],
        check=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    (built,) = out.glob("headwind-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_the_operator_packages_only(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist() if ".dist-info" not in name}
    assert tops == OPERATOR_PACKAGES


def test_the_wheel_adds_no_dev_command(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "headwind = worker.cli:main" in text
    assert "headwind.commands" not in text
    assert "headwind_dev" not in text
