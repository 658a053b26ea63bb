"""The `headwind` command line: one Typer app, subcommands grouped by what they act on."""

from __future__ import annotations

import typer

import headwind
from worker import policy_cmd, serve_cmd, update_cmd
from worker.dev import cli as dev_cli

app = typer.Typer(
    name="headwind",
    help="Keep Kubernetes workloads on the newest image their policy allows.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(policy_cmd.app, name="policy")
app.add_typer(dev_cli.app, name="dev")
app.add_typer(update_cmd.app, name="update")
app.command("run")(serve_cmd.run)
app.command("worker")(serve_cmd.worker)
app.command("api")(serve_cmd.api)


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
