"""kwok: fake kubelets, so workloads really roll out through the real controllers.

kwok watches the nodes annotated `kwok.x-k8s.io/node=fake` and the pods bound to them, and
writes their status the way a kubelet would, following the `Stage` files in `kwok/` beside
this module (kwok v0.8 ships none built in). The scheduler, the Deployment/StatefulSet/DaemonSet/Job
controllers and the apiserver are real; only the containers are imaginary. Stages keyed on the
image tag's suffix (`-crashloop`, `-pullfail`, `-neverready`) give tests and demos unhealthy
rollouts on demand. docs/development.md explains how to add a stage.
"""

from __future__ import annotations

import json
from importlib import resources

import yaml

from headwind_dev import kubectl, processes, settings, waiting
from headwind_dev.components import Component

__all__ = ["FAKE_NODE_ANNOTATION", "NODE_LABEL", "components", "node_names", "stage_documents"]

FAKE_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
"""The annotation kwok manages nodes by (so a real node added by hand is left alone)."""
NODE_LABEL = ("type", "kwok")
"""A label on every fake node, for `kubectl get nodes -l type=kwok` and node selectors."""
POD_CIDR = "10.244.0.1/16"
"""Where kwok takes pod IPs from; wide enough for thousands of pods, apart from Services."""


def node_names(config: settings.DevSettings) -> list[str]:
    """`kwok-node-0`, `kwok-node-1`, ... (`HEADWIND_DEV_NODES` says how many, default 3)."""
    return [f"kwok-node-{index}" for index in range(config.node_count)]


def stage_documents() -> list[dict[str, object]]:
    """Every Stage shipped in `devenv/headwind_dev/kwok/*.yaml`, in file-name order."""
    folder = resources.files("headwind_dev") / "kwok"
    documents: list[dict[str, object]] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            documents.extend(doc for doc in yaml.safe_load_all(entry.read_text()) if doc)
    return documents


def _config_path(config: settings.DevSettings) -> str:
    return str(config.layout.kube / "kwok.yaml")


def _write_config(config: settings.DevSettings) -> None:
    """One file with every stage, so the state directory shows exactly what kwok runs with."""
    path = config.layout.kube / "kwok.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(stage_documents(), sort_keys=False))


def _process(config: settings.DevSettings) -> processes.ProcessSpec:
    key, value = FAKE_NODE_ANNOTATION
    return processes.ProcessSpec(
        name="kwok",
        argv=(
            str(config.binary("kwok")),
            f"--kubeconfig={config.layout.kube / 'kwok.kubeconfig'}",
            f"--config={_config_path(config)}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={key}={value}",
            f"--cidr={POD_CIDR}",
            f"--server-address=127.0.0.1:{config.ports.kwok}",
        ),
        # kwok's default config path is ~/.kwok/kwok.yaml; HOME keeps it from reading a
        # developer's own file on top of ours.
        env={"HOME": str(config.layout.kube)},
    )


def _node_manifest(name: str) -> dict[str, object]:
    key, value = FAKE_NODE_ANNOTATION
    label_key, label_value = NODE_LABEL
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {key: value, "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                label_key: label_value,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
        },
        # No taint: ordinary workloads land on fake nodes without tolerations.
        "spec": {},
    }


def _create_nodes(config: settings.DevSettings) -> None:
    manifest = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [_node_manifest(n) for n in node_names(config)],
    }
    result = kubectl.run(config, "apply", "-f", "-", stdin=json.dumps(manifest))
    if result.returncode != 0:
        raise waiting.StartupError(f"creating the kwok nodes failed: {result.stderr.strip()}")


def _nodes_ready(config: settings.DevSettings) -> None:
    label_key, label_value = NODE_LABEL
    result = kubectl.run(config, "get", "nodes", "-l", f"{label_key}={label_value}", "-o", "json")
    if result.returncode != 0:
        raise waiting.NotReady(result.stderr.strip())
    ready = set()
    for node in json.loads(result.stdout)["items"]:
        conditions = node.get("status", {}).get("conditions", [])
        if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
            ready.add(node["metadata"]["name"])
    missing = sorted(set(node_names(config)) - ready)
    if missing:
        raise waiting.NotReady(f"nodes not Ready yet: {', '.join(missing)}")


def components(config: settings.DevSettings) -> list[Component]:
    return [
        Component(
            name="kwok",
            depends_on=("kube-apiserver",),
            prepare=lambda: _write_config(config),
            process=lambda: _process(config),
            ready=lambda: kubectl.get_health(f"http://127.0.0.1:{config.ports.kwok}/healthz"),
        ),
        Component(
            name="nodes",
            # The scheduler and controller-manager are not needed for nodes, but a Ready node
            # before they run would be a node pods cannot land on yet.
            depends_on=("kwok", "kube-scheduler", "kube-controller-manager"),
            prepare=lambda: _create_nodes(config),
            ready=lambda: _nodes_ready(config),
        ),
    ]
