"""`headwind dev demo`: annotated demo workloads whose images live in the local registry.

So that a first-time user can watch the whole loop at once: `headwind dev push` a newer tag,
the registry notifies Headwind, and the demo Deployment is patched (`web`, automatic) or gets an
UpdateRequest to approve (`api`).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from headwind_dev import environment, kubectl, push, settings, uploading

__all__ = ["NAMESPACE", "demo_command", "manifests"]

NAMESPACE = "demo"
_FIRST_TAG = "1.0.0"


def _deployment(name: str, image: str, annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "annotations": annotations},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
        },
    }


def manifests(registry: str) -> list[dict[str, Any]]:
    """The demo namespace and its two workloads, images in `registry` (host:port)."""
    common = {"headwind.sh/policy": "minor", "headwind.sh/min-update-interval": "0"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        _deployment(
            "web",
            f"{registry}/demo/web:{_FIRST_TAG}",
            {
                **common,
                "headwind.sh/require-approval": "false",
                "headwind.sh/auto-rollback": "true",
                "headwind.sh/rollback-timeout": "60s",
            },
        ),
        _deployment("api", f"{registry}/demo/api:{_FIRST_TAG}", common),
    ]


async def _push_first_tags(registry: str) -> None:
    async with httpx.AsyncClient(timeout=30.0) as http:
        client = uploading.RegistryPusher(http, push.client_settings(registry, None))
        for name in ("web", "api"):
            repository = f"demo/{name}"
            image = push.build_image(repository, _FIRST_TAG, (push.Platform("linux", "amd64"),))
            await push.push_image(client, registry, repository, _FIRST_TAG, image)


def demo_command(
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="State directory of the environment.")
    ] = None,
) -> None:
    """Create the `demo` namespace with two annotated Deployments, and push their first tags."""
    directory = (
        state_dir.expanduser().resolve() if state_dir else settings.default_state_dir(os.environ)
    )
    config = environment.load_settings(directory)
    if config is None:
        typer.echo(f"no environment in {directory}: run `headwind dev up` first", err=True)
        raise typer.Exit(2)
    status = environment.status(directory)
    asyncio.run(_push_first_tags(status.registry))
    body = "\n".join(json.dumps(m) for m in manifests(status.registry))
    applied = kubectl.run(config, "apply", "-f", "-", stdin=body)
    if applied.returncode != 0:
        typer.echo(f"kubectl apply failed: {applied.stderr.strip()}", err=True)
        raise typer.Exit(1)
    typer.echo(applied.stdout.strip())
    typer.echo(
        "\nNow push newer tags and watch Headwind act:\n"
        f"  headwind dev push {status.registry}/demo/web:1.1.0   # patched automatically\n"
        f"  headwind dev push {status.registry}/demo/api:1.1.0   # an UpdateRequest to approve\n"
        f"  kubectl --kubeconfig {status.kubeconfig} -n demo get deploy,ur\n"
        f"  curl -XPOST {status.api_url}/api/v1/updates/demo/<request name>/approve -d '{{}}'\n"
        f"  Temporal Web UI: {status.temporal_ui_url}"
    )
