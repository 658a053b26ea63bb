"""Rendering the Helm chart with the cached `helm` binary, for the deployment tests.

`helm` is built from its Go module by `scripts/build-tools` (scripts/test runs it before
pytest); asking the script for the path is instant once it is built, and keeps the pinned
version in one place. Rendered objects come back as plain dicts, as `kubectl` would read them.
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CHART",
    "MANIFESTS",
    "ROOT",
    "Rule",
    "containers",
    "for_users",
    "helm",
    "helm_binary",
    "kinds",
    "render",
    "rules",
]

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "headwind"
MANIFESTS = ROOT / "deploy" / "manifests" / "headwind.yaml"

Obj = dict[str, Any]


@functools.cache
def helm_binary() -> Path:
    """The pinned helm, built (once, minutes) by scripts/build-tools if it is not cached."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-tools"), "helm"],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    assert result.returncode == 0, f"scripts/build-tools helm failed:\n{result.stderr}"
    return Path(result.stdout.strip())


def helm(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run helm; with `check`, a failure shows helm's own message."""
    result = subprocess.run(
        [str(helm_binary()), *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check:
        assert result.returncode == 0, f"helm {' '.join(args)}:\n{result.stderr}"
    return result


def values_args(values: Mapping[str, Any] | None, directory: Path) -> list[str]:
    """`--values FILE` for `values` (JSON is YAML), or nothing."""
    if not values:
        return []
    path = directory / "values.json"
    path.write_text(json.dumps(values))
    return ["--values", str(path)]


def render(
    values: Mapping[str, Any] | None = None,
    *,
    release: str = "headwind",
    namespace: str = "headwind",
    crds: bool = False,
) -> list[Obj]:
    """Every object `helm template` renders for `values`, in output order."""
    with tempfile.TemporaryDirectory() as tmp:
        args = ["template", release, str(CHART), "--namespace", namespace]
        args += values_args(values, Path(tmp))
        if crds:
            args.append("--include-crds")
        output = helm(*args).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def kinds(objects: Sequence[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def containers(objects: Sequence[Obj]) -> Iterator[tuple[Obj, Obj]]:
    """(Deployment, container) for every container of every Deployment."""
    for deployment in kinds(objects, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            yield deployment, container


@dataclass(frozen=True, order=True)
class Rule:
    """One granted verb: API group, resource, verb, where, and whether it names its objects."""

    group: str
    resource: str
    verb: str
    where: str
    """`cluster` (ClusterRole) or the namespace of the Role."""
    named: bool = False


USER_ROLE_LABEL = ("headwind.sh/granted-to", "users")
"""The label of the chart's ClusterRoles for people (approvers, viewers), not for Headwind."""


def for_users(obj: Obj) -> bool:
    key, value = USER_ROLE_LABEL
    return bool((obj.get("metadata", {}).get("labels") or {}).get(key) == value)


def rules(objects: Sequence[Obj]) -> set[Rule]:
    """Every verb the rendered ClusterRoles and Roles grant Headwind, one `Rule` per verb."""
    granted = set()
    for obj in objects:
        if obj["kind"] not in ("ClusterRole", "Role") or for_users(obj):
            continue
        where = "cluster" if obj["kind"] == "ClusterRole" else obj["metadata"]["namespace"]
        for rule in obj.get("rules") or []:
            for group in rule.get("apiGroups") or []:
                for resource in rule["resources"]:
                    for verb in rule["verbs"]:
                        named = bool(rule.get("resourceNames"))
                        granted.add(Rule(group, resource, verb, where, named))
    return granted
