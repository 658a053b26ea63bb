"""`headwind update …`: propose, list, show, approve, reject and roll back from a terminal.

Talks to Temporal directly with the process's settings (the same entry points the REST API
uses), so it works wherever a worker's settings work.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from pydantic import BaseModel
from temporalio.client import Client

from clients import temporal
from clients.temporal import operations
from headwind.models import (
    ApprovalIn,
    Proposal,
    RejectIn,
    RollbackRequest,
    WorkloadKind,
    WorkloadRef,
)
from headwind.settings import SettingsError, get_settings

__all__ = ["app"]

app = typer.Typer(help="Propose, inspect, approve and reject updates.", no_args_is_help=True)

T = TypeVar("T")


def _workload(text: str) -> WorkloadRef:
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        raise typer.BadParameter(f"expected KIND/NAMESPACE/NAME, got {text!r}")
    try:
        return WorkloadRef(kind=WorkloadKind.parse(parts[0]), namespace=parts[1], name=parts[2])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _request(text: str) -> tuple[str, str]:
    namespace, _, name = text.partition("/")
    if not namespace or not name:
        raise typer.BadParameter(f"expected NAMESPACE/NAME, got {text!r}")
    return namespace, name


def _call(action: Callable[[Client, str], Awaitable[T]]) -> T:
    try:
        settings = get_settings()
    except SettingsError as exc:
        typer.echo(f"headwind: {exc}", err=True)
        raise typer.Exit(2) from exc

    async def go() -> T:
        client = await temporal.connect(settings)
        return await action(client, settings.temporal_task_queue)

    try:
        return asyncio.run(go())
    except operations.NotFoundError as exc:
        typer.echo(f"headwind: {exc}", err=True)
        raise typer.Exit(1) from exc
    except operations.WrongPhaseError as exc:
        typer.echo(f"headwind: {exc}", err=True)
        raise typer.Exit(1) from exc


def _print(model: BaseModel | list[operations.UpdateSummary]) -> None:
    if isinstance(model, list):
        typer.echo(json.dumps([m.model_dump(mode="json") for m in model], indent=2))
    else:
        typer.echo(model.model_dump_json(indent=2))


@app.command()
def propose(
    workload: str = typer.Argument(..., help="KIND/NAMESPACE/NAME, e.g. deployment/prod/web"),
    container: str = typer.Option(..., help="Container name (`chart` for a HelmRelease)."),
    tag: str = typer.Option(..., help="Candidate tag or chart version."),
    digest: str | None = typer.Option(None, help="Digest of the candidate, if known."),
) -> None:
    """Propose a candidate; the same candidate twice joins the same workflow."""
    proposal = Proposal(
        workload=_workload(workload), container=container, tag=tag, digest=digest, source="cli"
    )
    _print(_call(lambda c, q: operations.propose(c, proposal, task_queue=q)))


@app.command("list")
def list_(
    namespace: str | None = typer.Option(None, help="Only this namespace."),
    phase: str | None = typer.Option(None, help="Only this phase, e.g. Pending."),
    kind: str | None = typer.Option(None, help="Only this workload kind."),
) -> None:
    """List update requests, pending first."""
    _print(
        _call(lambda c, q: operations.list_updates(c, namespace=namespace, phase=phase, kind=kind))
    )


@app.command()
def show(request: str = typer.Argument(..., help="NAMESPACE/NAME of the UpdateRequest")) -> None:
    """Show one update request with its timeline."""
    namespace, name = _request(request)
    _print(_call(lambda c, q: operations.get_status(c, namespace, name)))


@app.command()
def approve(
    request: str = typer.Argument(..., help="NAMESPACE/NAME of the UpdateRequest"),
    approver: str | None = typer.Option(None, help="Who approves (recorded)."),
) -> None:
    """Approve a pending request."""
    namespace, name = _request(request)
    body = ApprovalIn(approver=approver)
    _print(_call(lambda c, q: operations.approve(c, namespace, name, body)))


@app.command()
def reject(
    request: str = typer.Argument(..., help="NAMESPACE/NAME of the UpdateRequest"),
    approver: str | None = typer.Option(None, help="Who rejects (recorded)."),
    reason: str | None = typer.Option(None, help="Why (recorded)."),
) -> None:
    """Reject a pending request; its tag is not proposed again."""
    namespace, name = _request(request)
    body = RejectIn(approver=approver, reason=reason)
    _print(_call(lambda c, q: operations.reject(c, namespace, name, body)))


@app.command()
def rollback(
    workload: str = typer.Argument(..., help="KIND/NAMESPACE/NAME"),
    container: str = typer.Option(..., help="Container name."),
    to: str | None = typer.Option(None, help="Image or tag; default the previous image."),
    by: str | None = typer.Option(None, help="Who asks (recorded)."),
) -> None:
    """Roll a container back to its previous image (or --to)."""
    request = RollbackRequest(
        workload=_workload(workload), container=container, to=to, requested_by=by
    )
    result = _call(lambda c, q: operations.rollback(c, request, task_queue=q))
    _print(result)
    if not result.rolled_back:
        raise typer.Exit(1)
