"""The `headwind` command line: one Typer app, subcommands grouped by what they act on."""

from __future__ import annotations

import typer

import headwind

app = typer.Typer(
    name="headwind",
    help="Keep Kubernetes workloads on the newest image their policy allows.",
    no_args_is_help=True,
    add_completion=False,
)


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
