"""The chart grants exactly the permissions docs/install.md lists and justifies.

The table under "## Permissions" is parsed into one rule per verb, with where it is granted
(`watched`, `release namespace`, `cluster`) and when (`always` or a value). For each value
set, the rules the table promises must be exactly those the rendered ClusterRoles and Roles
grant: a permission added to the chart without a justified row, or a row the chart no longer
grants, fails here. The e2e test that runs the image as the chart's ServiceAccount proves the
other direction (nothing Headwind needs is missing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.deploy import rendering
from tests.deploy.rendering import ROOT, Rule, render, rules

DOC = ROOT / "docs" / "install.md"
RELEASE_NAMESPACE = "headwind"

Values = Mapping[str, Any]

CONDITIONS: dict[str, Callable[[Values], bool]] = {
    "always": lambda values: True,
    "`rbac.readCredentials` (default)": lambda values: values.get("rbac", {}).get(
        "readCredentials", True
    ),
    "`auth.mode: token` (default)": lambda values: (
        values.get("auth", {}).get("mode", "token") == "token"
    ),
}
"""Every "granted" cell the table may use, and when the chart grants such a row."""


@dataclass(frozen=True)
class Row:
    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    where: str
    named: bool
    granted: str


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _ticked(cell: str) -> tuple[str, ...]:
    return tuple(re.findall(r"`([^`]*)`", cell))


def table() -> list[Row]:
    lines = DOC.read_text().splitlines()
    start = lines.index("## Permissions")
    header = next(i for i in range(start, len(lines)) if lines[i].startswith("| API group"))
    assert _cells(lines[header]) == ["API group", "resources", "verbs", "where", "granted", "why"]
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        group, resources, verbs, where, granted, why = _cells(line)
        assert why, f"a permission without a reason: {line}"
        (group_name,) = _ticked(group) or ("",)
        rows.append(
            Row(
                group=group_name.strip('"'),
                resources=_ticked(resources),
                verbs=_ticked(verbs),
                where=where,
                named="only" in resources,
                granted=granted,
            )
        )
    return rows


def promised(values: Values) -> set[Rule]:
    """The rules the table grants for `values`, placed where the chart should put them."""
    watched = tuple(values.get("watchNamespaces") or ()) or ("cluster",)
    places = {
        "watched": watched,
        "release namespace": (RELEASE_NAMESPACE,),
        "cluster": ("cluster",),
    }
    expected = set()
    for row in table():
        assert row.granted in CONDITIONS, f"unknown condition {row.granted!r}: add it to CONDITIONS"
        if not CONDITIONS[row.granted](values):
            continue
        for where in places[row.where]:
            for resource in row.resources:
                for verb in row.verbs:
                    expected.add(Rule(row.group, resource, verb, where, row.named))
    return expected


VALUE_SETS = [
    pytest.param({}, id="defaults"),
    pytest.param({"mode": "split"}, id="split mode"),
    pytest.param({"watchNamespaces": ["team-a", "team-b"]}, id="two watched namespaces"),
    pytest.param(
        {"auth": {"mode": "proxy"}, "rbac": {"readCredentials": False}},
        id="proxy auth, no credentials",
    ),
]


@pytest.mark.parametrize("values", VALUE_SETS)
def test_chart_grants_exactly_the_documented_permissions(values: dict[str, Any]) -> None:
    granted = rules(render(values, namespace=RELEASE_NAMESPACE))
    expected = promised(values)
    assert granted - expected == set(), "granted by the chart, missing from docs/install.md"
    assert expected - granted == set(), "documented in docs/install.md, not granted by the chart"


def test_every_role_is_bound_to_headwind_s_service_account() -> None:
    objects = render({"watchNamespaces": ["team-a"]}, namespace=RELEASE_NAMESPACE)
    roles = {
        (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        for obj in objects
        if obj["kind"] in ("Role", "ClusterRole") and not rendering.for_users(obj)
    }
    bound = set()
    for binding in objects:
        if binding["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ref = binding["roleRef"]
        namespace = binding["metadata"].get("namespace") if ref["kind"] == "Role" else None
        bound.add((ref["kind"], namespace, ref["name"]))
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "headwind", "namespace": RELEASE_NAMESPACE}
        ]
    assert bound == roles
