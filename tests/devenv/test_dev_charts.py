"""Helm chart archives and the HTTP repository's `index.yaml`, as Helm writes them."""

from __future__ import annotations

import hashlib
import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from headwind_dev import charts

T1 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
T2 = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)


def test_chart_archive_holds_a_valid_v2_chart() -> None:
    archive = charts.build_chart("demo", "1.2.3", "2.0")
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        names = sorted(tar.getnames())
        chart_yaml = tar.extractfile("demo/Chart.yaml")
        assert chart_yaml is not None
        chart = yaml.safe_load(chart_yaml.read())
    assert names == ["demo/Chart.yaml", "demo/templates/configmap.yaml", "demo/values.yaml"]
    assert chart["apiVersion"] == "v2"
    assert (chart["name"], chart["version"], chart["appVersion"]) == ("demo", "1.2.3", "2.0")
    assert charts.build_chart("demo", "1.2.3", "2.0") == archive  # deterministic


@pytest.mark.parametrize(
    ("name", "version"),
    [
        pytest.param("Demo", "1.0.0", id="upper-case-name"),
        pytest.param("de mo", "1.0.0", id="space"),
        pytest.param("demo", "../1", id="path-in-version"),
        pytest.param("demo", "", id="empty-version"),
    ],
)
def test_bad_names_and_versions_are_refused(name: str, version: str) -> None:
    with pytest.raises(ValueError, match="chart"):
        charts.build_chart(name, version)


def test_first_publish_writes_archive_and_index(tmp_path: Path) -> None:
    archive = charts.build_chart("demo", "1.0.0")
    path = charts.publish_to_directory(
        tmp_path, archive, charts.chart_metadata("demo", "1.0.0"), now=T1
    )

    assert path == tmp_path / "demo-1.0.0.tgz"
    assert path.read_bytes() == archive
    index = yaml.safe_load((tmp_path / "index.yaml").read_text())
    assert index["apiVersion"] == "v1"
    assert index["generated"] == "2025-01-01T12:00:00.000000Z"
    (entry,) = index["entries"]["demo"]
    assert entry == {
        "apiVersion": "v2",
        "name": "demo",
        "version": "1.0.0",
        "appVersion": "1.0.0",
        "description": entry["description"],
        "type": "application",
        "urls": ["demo-1.0.0.tgz"],
        "digest": hashlib.sha256(archive).hexdigest(),
        "created": "2025-01-01T12:00:00.000000Z",
    }


def publish(directory: Path, name: str, version: str, now: datetime) -> None:
    archive = charts.build_chart(name, version)
    charts.publish_to_directory(directory, archive, charts.chart_metadata(name, version), now=now)


def versions(index: dict[str, Any], name: str) -> list[str]:
    return [entry["version"] for entry in index["entries"][name]]


def test_publishing_merges_into_the_existing_index(tmp_path: Path) -> None:
    publish(tmp_path, "demo", "1.0.0", T1)
    publish(tmp_path, "other", "0.1.0", T1)
    publish(tmp_path, "demo", "1.1.0", T2)
    index = yaml.safe_load((tmp_path / "index.yaml").read_text())

    assert versions(index, "demo") == ["1.1.0", "1.0.0"]
    assert versions(index, "other") == ["0.1.0"]
    assert index["generated"] == "2025-01-02T12:00:00.000000Z"
    assert sorted(p.name for p in tmp_path.glob("*.tgz")) == [
        "demo-1.0.0.tgz",
        "demo-1.1.0.tgz",
        "other-0.1.0.tgz",
    ]


def test_republishing_a_version_replaces_its_entry() -> None:
    old = {"name": "demo", "version": "1.0.0", "digest": "old"}
    new = {"name": "demo", "version": "1.0.0", "digest": "new"}
    index = charts.merge_index({"entries": {"demo": [old]}}, new, generated=T2)
    assert index["entries"]["demo"] == [new]


def test_merge_keeps_foreign_fields_of_an_index_written_by_helm() -> None:
    helm_written = {"apiVersion": "v1", "entries": {}, "serverInfo": {"contextPath": "/x"}}
    merged = charts.merge_index(helm_written, {"name": "a", "version": "1"}, generated=T1)
    assert merged["serverInfo"] == {"contextPath": "/x"}


@pytest.mark.parametrize(
    ("version", "tag"),
    [
        pytest.param("1.2.3", "1.2.3", id="plain"),
        pytest.param("1.2.3+build.5", "1.2.3_build.5", id="build-metadata"),
    ],
)
def test_oci_tag(version: str, tag: str) -> None:
    assert charts.oci_tag(version) == tag


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("localhost:5000/charts", ("localhost:5000", "charts/demo", None), id="path"),
        pytest.param(
            "oci://localhost:5000/charts/", ("localhost:5000", "charts/demo", None), id="oci"
        ),
        pytest.param("localhost:5000", ("localhost:5000", "demo", None), id="root"),
        pytest.param("http://reg.lan:80/c", ("reg.lan:80", "c/demo", True), id="http"),
    ],
)
def test_split_oci_target(target: str, expected: tuple[str, str, bool | None]) -> None:
    assert charts.split_oci_target(target, "demo") == expected
