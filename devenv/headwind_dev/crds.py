"""Installing the CustomResourceDefinitions Headwind works with into the local cluster.

Headwind's own (every file in `deploy/crds/`) and minimal Flux `HelmRelease` /
`HelmRepository` definitions (`flux-crds.yaml` beside this module: open schema, status
subresource),
so HelmRelease workloads can be created and patched without installing Flux itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from headwind_dev import kubectl, settings, waiting
from headwind_dev.components import Component

__all__ = ["components", "manifest_files"]


def manifest_files() -> list[Path]:
    files = [Path(__file__).with_name("flux-crds.yaml")]
    root = settings.repo_root()
    if root is not None:
        files += sorted((root / "deploy" / "crds").glob("*.yaml"))
    return [path for path in files if path.is_file()]


def _apply(config: settings.DevSettings) -> None:
    args = ["apply", "--server-side", "--force-conflicts"]
    for path in manifest_files():
        args += ["-f", str(path)]
    if len(args) == 3:
        return
    result = kubectl.run(config, *args)
    if result.returncode != 0:
        raise waiting.StartupError(f"installing CRDs failed: {result.stderr.strip()}")


def _established(config: settings.DevSettings) -> None:
    result = kubectl.run(config, "get", "crd", "-o", "json")
    if result.returncode != 0:
        raise waiting.NotReady(result.stderr.strip())
    pending = []
    for crd in json.loads(result.stdout)["items"]:
        conditions = crd.get("status", {}).get("conditions", [])
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
