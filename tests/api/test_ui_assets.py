"""The web UI's browser assets: fetched and verified at set-up, not in git, in the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "api" / "ui" / "static" / "vendor"
SERVED = ("htmx.min.js", "pico.min.css")


def test_the_assets_were_fetched() -> None:
    check = subprocess.run(
        [ROOT / "scripts" / "fetch-ui-assets", "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert (VENDOR / "VERSIONS").read_text().split() == [
        "htmx.org@2.0.4",
        "htmx.min.js",
        "@picocss/pico@2.0.6",
        "pico.min.css",
    ]


def test_the_assets_are_not_tracked_by_git() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", str(VENDOR)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""


def test_the_wheel_carries_the_ui(tmp_path: Path) -> None:
    cache = Path(os.environ.get("HEADWIND_CACHE_DIR", Path.home() / ".cache" / "headwind"))
    uv = shutil.which("uv") or next(iter(sorted(cache.glob("tools/uv-*/bin/uv"))), None)
    if uv is None:
        pytest.fail("uv is missing: run scripts/bootstrap")
    subprocess.run(
        [uv, "build", "--wheel", "--quiet", "--out-dir", str(tmp_path), str(ROOT)],
        check=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    (built,) = tmp_path.glob("headwind-*.whl")
    names = set(zipfile.ZipFile(built).namelist())
    assert {f"api/ui/static/vendor/{name}" for name in SERVED} <= names
    assert {"api/ui/templates/base.html", "api/ui/static/headwind.css"} <= names
