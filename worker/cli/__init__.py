"""The `headwind` command line: one Typer app, subcommands grouped by what they act on.

Other installed distributions may add a command group through the `headwind.commands` entry
point group (the local development environment adds `headwind dev` this way), so the operator's
own wheel carries no development code and needs none to run.
"""

from __future__ import annotations

from importlib import metadata

import typer

import headwind
from worker.cli import policy, serve, updates, workloads

__all__ = ["COMMAND_PLUGINS", "app", "main"]

COMMAND_PLUGINS = "headwind.commands"
"""Entry point group: each entry names a Typer app added under its entry point's name."""

app = typer.Typer(
    name="headwind",
    help="Keep Kubernetes workloads on the newest image their policy allows.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(policy.app, name="policy")
app.add_typer(updates.app, name="update")
app.add_typer(workloads.app, name="workload")
app.command("run")(serve.run)
app.command("worker")(serve.worker)
app.command("api")(serve.api)


def _add_plugins() -> None:
    for entry in metadata.entry_points(group=COMMAND_PLUGINS):
        plugin = entry.load()
        if isinstance(plugin, typer.Typer):
            app.add_typer(plugin, name=entry.name)


_add_plugins()


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"headwind {headwind.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Keep Kubernetes workloads on the newest image their policy allows."""


def main() -> None:
    app()
