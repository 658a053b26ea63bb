"""`headwind update …`: propose, list, show, approve, reject and roll back from a terminal.

Talks to Temporal directly with the process's settings (the same entry points the REST API
uses), so it works wherever a worker's settings work. Output is a table (or a field list for one
request) by default, JSON with `-o json`; `kubectl headwind` prints the same way.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import typer
from pydantic import BaseModel
from temporalio.client import Client

from clients import temporal
from clients.temporal import listing, operations
from headwind.models import (
    ApprovalIn,
    Proposal,
    RejectIn,
    RollbackRequest,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from headwind.settings import SettingsError, get_settings
from worker.cli.kubectl import rendering

__all__ = ["Output", "app", "status_fields", "summary_table"]

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
    except operations.DeadlineExceededError as exc:
        kept = " (it is recorded and takes effect once a worker runs)" if exc.recorded else ""
        typer.echo(f"headwind: {exc}{kept}", err=True)
        raise typer.Exit(1) from exc
    except (operations.TemporalUnavailableError, RuntimeError) as exc:
        # RuntimeError: the SDK's "Failed client connect" when nothing listens at the address.
        typer.echo(
            f"headwind: cannot reach Temporal at {settings.temporal_address}: {exc}", err=True
        )
        raise typer.Exit(1) from exc
    except ValueError as exc:
        typer.echo(f"headwind: {exc}", err=True)
        raise typer.Exit(2) from exc


class Output(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


OutputOpt = typer.Option(Output.TABLE, "-o", "--output", help="table or json.")


def summary_table(updates: list[listing.UpdateSummary], *, now: datetime | None = None) -> str:
    """One line per update, kubectl-style, in the order given (pending first)."""
    now = now or datetime.now(UTC)
    names = ["NAMESPACE", "NAME", "TARGET", "CONTAINER", "TAG", "PHASE", "AGE"]
    rows = [
        [
            u.namespace,
            u.request_name,
            f"{u.kind}/{u.name}",
            u.container,
            u.tag,
            u.phase or "<none>",
            rendering.age(u.started_at.isoformat() if u.started_at else None, now),
        ]
        for u in updates
    ]
    if not rows:
        return "No updates found."
    widths = [max(len(line[i]) for line in [names, *rows]) for i in range(len(names))]
    lines = [
        "   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in [names, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def status_fields(status: UpdateStatus) -> str:
    """One request's fields and timeline, a line each."""
    pairs = [
        ("Name", f"{status.workload.namespace}/{status.request_name}"),
        ("Target", f"{status.workload.kind.value}/{status.workload.name}"),
        ("Container", status.container),
        ("Current", status.current_image),
        ("New", status.new_image or status.tag),
        ("Policy", status.policy),
        ("Phase", status.phase.value),
        ("Reason", status.reason),
        ("Message", status.message),
        ("Approved by", status.approved_by or ""),
        ("Rejected by", status.rejected_by or ""),
        ("Workflow", status.workflow_id),
    ]
    width = max(len(key) for key, _ in pairs) + 2
    lines = [f"{key + ':':<{width}}{value}" for key, value in pairs if value]
    if status.timeline:
        lines.append("Timeline:")
        lines += [
            f"  {entry.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}  {entry.phase.value:<11} "
            f"{entry.message}".rstrip()
            for entry in status.timeline
        ]
    return "\n".join(lines)


def _print(model: BaseModel | list[listing.UpdateSummary], output: Output = Output.JSON) -> None:
    if output is Output.TABLE and isinstance(model, list):
        typer.echo(summary_table(model))
    elif output is Output.TABLE and isinstance(model, UpdateStatus):
        typer.echo(status_fields(model))
    elif isinstance(model, list):
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
    search: str | None = typer.Option(
        None, "--search", "-q", help="Start of a workload name, container, tag or image."
    ),
    limit: int = typer.Option(
        listing.DEFAULT_LIMIT, min=1, max=listing.MAX_LIMIT, help="At most this many."
    ),
    cursor: str | None = typer.Option(None, help="Continue where a previous list stopped."),
    output: Output = OutputOpt,
) -> None:
    """List update requests, pending first, a page at a time."""
    try:  # refused before Temporal is reached
        filters = listing.Filters(namespace=namespace, phase=phase, kind=kind, text=search)
        filters = filters.checked()
        start = listing.Cursor.decode(cursor, filters) if cursor else None
    except ValueError as exc:
        typer.echo(f"headwind: {exc}", err=True)
        raise typer.Exit(2) from exc
    found = _call(lambda c, q: listing.list_updates(c, filters, limit=limit, cursor=start))
    _print(found.items, output)
    if found.next is not None:
        typer.echo(f"headwind: more follow: --cursor {found.next.encode()}", err=True)


@app.command()
def show(
    request: str = typer.Argument(..., help="NAMESPACE/NAME of the UpdateRequest"),
    output: Output = OutputOpt,
) -> None:
    """Show one update request with its timeline."""
    namespace, name = _request(request)
    _print(_call(lambda c, q: operations.get_status(c, namespace, name)), output)


@app.command()
def approve(
    request: str = typer.Argument(..., help="NAMESPACE/NAME of the UpdateRequest"),
    approver: str | None = typer.Option(None, help="Who approves (recorded)."),
    output: Output = OutputOpt,
) -> None:
    """Approve a pending request."""
    namespace, name = _request(request)
    body = ApprovalIn(approver=approver)
    _print(_call(lambda c, q: operations.approve(c, namespace, name, body)), output)


@app.command()
def reject(
    request: str = typer.Argument(..., help="NAMESPACE/NAME of the UpdateRequest"),
    approver: str | None = typer.Option(None, help="Who rejects (recorded)."),
    reason: str | None = typer.Option(None, help="Why (recorded)."),
    output: Output = OutputOpt,
) -> None:
    """Reject a pending request; its tag is not proposed again."""
    namespace, name = _request(request)
    body = RejectIn(approver=approver, reason=reason)
    _print(_call(lambda c, q: operations.reject(c, namespace, name, body)), output)


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
