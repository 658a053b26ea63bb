"""`headwind workload explain KIND/NAMESPACE/NAME`: why a workload was not updated, in a terminal.

It reads the workload and its pull secrets from the cluster and the tags from the registries
with the process's settings (`HEADWIND_KUBECONFIG`, `HEADWIND_REGISTRY_INSECURE`, …), then
prints the same explanation as `GET /api/v1/workloads/{kind}/{namespace}/{name}/explain` and
the web UI, because all three run `api.explaining.explain`.
"""

from __future__ import annotations

import asyncio

import typer

from api.explaining import RegistryTags, explain
from clients.credentials import PullSecrets
from clients.kube.client import Kube, KubeError, NotFound, resource_path
from clients.registries import open_registries
from headwind import explaining, watched
from headwind.models import WorkloadKind, WorkloadRef
from headwind.settings import SettingsError, get_settings

__all__ = ["app", "render"]

app = typer.Typer(help="Inspect watched workloads.", no_args_is_help=True)


def _workload(text: str) -> WorkloadRef:
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        raise typer.BadParameter(f"expected KIND/NAMESPACE/NAME, got {text!r}")
    try:
        return WorkloadRef(kind=WorkloadKind.parse(parts[0]), namespace=parts[1], name=parts[2])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def render(explanation: explaining.Explanation) -> str:
    """The explanation for a person: one block per container, one line per tag."""
    lines = [str(explanation.workload)]
    for container in explanation.containers:
        pattern = f", pattern {container.pattern}" if container.pattern else ""
        lines.append("")
        lines.append(
            f"{container.container}: {container.image} (policy {container.policy}{pattern})"
        )
        lines.append(f"  {container.reason}: {container.message}")
        for candidate in container.candidates:
            mark = "→" if candidate.chosen else ("+" if candidate.eligible else "-")
            remembered = f" [{candidate.remembered}]" if candidate.remembered else ""
            lines.append(f"  {mark} {candidate.tag}{remembered}: {candidate.message}")
    return "\n".join(lines)


@app.command("explain")
def explain_command(
    workload: str = typer.Argument(..., help="KIND/NAMESPACE/NAME, e.g. deployment/prod/web"),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Why a workload was not updated: every registry tag judged by its policy."""
    ref = _workload(workload)
    try:
        settings = get_settings()
    except SettingsError as exc:
        typer.echo(f"headwind: {exc}", err=True)
        raise typer.Exit(2) from exc
    kube = Kube.from_settings(settings)
    try:
        try:
            obj = kube.get(resource_path(ref.kind, ref.namespace, ref.name))
        except NotFound as exc:
            typer.echo(f"headwind: {ref} does not exist", err=True)
            raise typer.Exit(1) from exc
        except KubeError as exc:
            typer.echo(f"headwind: cannot read {ref}: {exc}", err=True)
            raise typer.Exit(1) from exc
        found = watched.from_object(ref.kind, obj)
        if found is None:
            typer.echo(f"headwind: {ref} carries no headwind.sh/ annotation", err=True)
            raise typer.Exit(1)

        async def run() -> explaining.Explanation:
            registries = open_registries(settings, kube)
            try:
                tags = RegistryTags(registries.oci, registries.helm, PullSecrets(kube))
                return await explain(found, tags)
            finally:
                await registries.aclose()

        explanation = asyncio.run(run())
    finally:
        kube.close()
    typer.echo(explanation.model_dump_json(indent=2) if as_json else render(explanation))
