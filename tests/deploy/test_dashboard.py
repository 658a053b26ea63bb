"""The Grafana dashboard queries only metrics Headwind exports, by the labels they carry."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "headwind.json"
METRIC_MODULES = (
    "metrics.updates",
    "metrics.registries",
    "api.metrics",
    "worker.detecting.metrics",
)
TEMPORAL_SDK = re.compile(r"\btemporal_[a-z_]+")
HEADWIND = re.compile(r"\bheadwind_[a-z_]+")
BY = re.compile(r"\bby \(([^)]*)\)")


def _exprs() -> list[str]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def _collectors() -> dict[str, Any]:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    names = getattr(REGISTRY, "_names_to_collectors", {})
    return dict(names)


def _temporal_names() -> list[str]:
    return sorted({n for e in _exprs() for n in TEMPORAL_SDK.findall(e)})


EXPRS = _exprs()


@pytest.mark.parametrize("expr", EXPRS, ids=[e[:60] for e in EXPRS])
def test_every_headwind_metric_exists_with_its_labels(expr: str) -> None:
    collectors = _collectors()
    for name in HEADWIND.findall(expr):
        assert name in collectors, f"{name} is not exported by Headwind"
        labels = set(getattr(collectors[name], "_labelnames", ()))
        for clause in BY.findall(expr):
            wanted = {label.strip() for label in clause.split(",")} - {"le"}
            assert wanted <= labels, f"{name} has labels {sorted(labels)}, not {sorted(wanted)}"


def test_the_dashboard_uses_the_sdk_metrics_the_e2e_test_checks() -> None:
    from tests.e2e.test_metrics_endpoints import TEMPORAL_SDK_METRICS

    assert set(_temporal_names()) <= set(TEMPORAL_SDK_METRICS)
