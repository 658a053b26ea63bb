"""Installing the CustomResourceDefinitions Headwind works with into the local cluster.

Headwind's own (every file in `deploy/crds/`) and minimal Flux `HelmRelease` /
`HelmRepository` definitions (`flux-crds.yaml` beside this module: open schema, status
subresource),
so HelmRelease workloads can be created and patched without installing Flux itself.

With them come the objects that make the Kubernetes API an approval channel
(`kubectl headwind approve`): the chart's ClusterRoles for people and its decisions admission
policy, taken from the rendered `deploy/manifests/headwind.yaml`. The local Headwind runs as the
admin (in `system:masters`, which the policy lets through), and tests install the chart under
release names of their own, so here the policy lets every ServiceAccount write status too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from headwind_dev import kubectl, settings, waiting
from headwind_dev.components import Component

__all__ = ["access_objects", "components", "manifest_files"]

_ACCESS_KINDS = frozenset({"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"})
_LOCAL_WRITERS = (
    "'system:masters' in request.userInfo.groups || "
    "request.userInfo.username.startsWith('system:serviceaccount:')"
)


def manifest_files() -> list[Path]:
    files = [Path(__file__).with_name("flux-crds.yaml")]
    root = settings.repo_root()
    if root is not None:
        files += sorted((root / "deploy" / "crds").glob("*.yaml"))
    return [path for path in files if path.is_file()]


def access_objects(manifests: str) -> list[dict[str, Any]]:
    """The user ClusterRoles and the decisions admission policy of the rendered chart, the
    policy's idea of who Headwind is widened for the local cluster."""
    chosen = []
    for obj in yaml.safe_load_all(manifests):
        if not isinstance(obj, dict):
            continue
        labels = obj.get("metadata", {}).get("labels") or {}
        for_users = obj["kind"] == "ClusterRole" and labels.get("headwind.sh/granted-to") == "users"
        if not (for_users or obj["kind"] in _ACCESS_KINDS):
            continue
        for variable in obj.get("spec", {}).get("variables") or []:
            if variable["name"] == "isHeadwind":
                variable["expression"] = _LOCAL_WRITERS
        chosen.append(obj)
    return chosen


def _apply_access(config: settings.DevSettings) -> None:
    root = settings.repo_root()
    rendered = root / "deploy" / "manifests" / "headwind.yaml" if root else None
    if rendered is None or not rendered.is_file():
        return
    objects = access_objects(rendered.read_text())
    if not objects:
        return
    document = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    args = ("apply", "--server-side", "--force-conflicts", "-f", "-")
    result = kubectl.run(config, *args, stdin=document)
    if result.returncode != 0:
        raise waiting.StartupError(f"installing approval roles failed: {result.stderr.strip()}")


def _apply(config: settings.DevSettings) -> None:
    args = ["apply", "--server-side", "--force-conflicts"]
    for path in manifest_files():
        args += ["-f", str(path)]
    if len(args) == 3:
        return
    result = kubectl.run(config, *args)
    if result.returncode != 0:
        raise waiting.StartupError(f"installing CRDs failed: {result.stderr.strip()}")
    _apply_access(config)


def _established(config: settings.DevSettings) -> None:
    result = kubectl.run(config, "get", "crd", "-o", "json")
    if result.returncode != 0:
        raise waiting.NotReady(result.stderr.strip())
    pending = []
    for crd in json.loads(result.stdout)["items"]:
        # A CRD just created may carry `status: null` or `conditions: null`.
        conditions = (crd.get("status") or {}).get("conditions") or []
        if not any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            pending.append(crd["metadata"]["name"])
    if pending:
        raise waiting.NotReady(f"CRDs not established yet: {', '.join(pending)}")


def components(config: settings.DevSettings) -> list[Component]:
    return [
        Component(
            name="crds",
            depends_on=("kube-apiserver",),
            prepare=lambda: _apply(config),
            ready=lambda: _established(config),
        )
    ]
