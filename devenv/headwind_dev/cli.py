"""`headwind dev ...`: the local environment from the command line.

`up` (foreground; Ctrl-C stops everything) or `up --detach`, `down`, `status [--json]`. The
state directory comes from `--state-dir`, `HEADWIND_STATE_DIR`, or the default (see
`settings.default_state_dir`); ports from `--port NAME=NUMBER` or `HEADWIND_DEV_PORT_<NAME>`.
`dev push` (images) lives in `devenv/headwind_dev/push.py` and registers itself on the same app.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from headwind_dev import binaries, charts, demo, environment, push, settings, waiting
from headwind_dev.status import DevStatus, render_text

__all__ = ["app"]

app = typer.Typer(
    name="dev",
    help="The local environment: Temporal, Kubernetes with kwok nodes, registries, Helm repo.",
    no_args_is_help=True,
    add_completion=False,
)

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="State directory (default: $HEADWIND_STATE_DIR, else <checkout>/.state/dev).",
        show_default=False,
    ),
]


def _state_dir(option: Path | None) -> Path:
    if option is not None:
        return option.expanduser().resolve()
    return default_state_dir()


def default_state_dir() -> Path:
    return settings.default_state_dir(os.environ)


def _report(message: str) -> None:
    typer.echo(f"dev: {message}", err=True)


@app.command()
def up(
    state_dir: StateDir = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Return once everything is ready.")
    ] = False,
    port: Annotated[
        list[str] | None,
        typer.Option(
            "--port",
            help=f"Override a port, NAME=NUMBER; names: {', '.join(settings.Ports.names())}.",
            show_default=False,
        ),
    ] = None,
    notify_url: Annotated[
        list[str] | None,
        typer.Option(
            "--notify-url",
            help="Another endpoint for the registries' notifications (repeatable).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start the local environment (reusing state and anything still running)."""
    directory = _state_dir(state_dir)
    try:
        overrides = settings.parse_port_overrides(port or [])
        config = environment.resolve_settings(
            directory, overrides, tuple(notify_url or ()), _report
        )
        environment.up(config, detach=detach, report=_report, on_ready=_print_summary)
    except (ValueError, binaries.MissingBinary, waiting.StartupError) as error:
        typer.echo(f"headwind dev up: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("headwind dev up: interrupted", err=True)
        raise typer.Exit(130) from None
    if detach:
        typer.echo(f"\nStop it with: headwind dev down --state-dir {directory}", err=True)


def _print_summary(current: DevStatus) -> None:
    typer.echo(render_text(current))


@app.command()
def down(state_dir: StateDir = None) -> None:
    """Stop exactly the processes `up` started (by PID file; never by name)."""
    directory = _state_dir(state_dir)
    if not settings.Layout(directory).run.is_dir():
        typer.echo(f"headwind dev down: nothing was started in {directory}", err=True)
        return
    stopped = environment.down(directory, _report)
    typer.echo(f"stopped {len(stopped)} process(es)", err=True)


@app.command()
def status(
    state_dir: StateDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show URLs, credentials and processes. Exit status 3 when something is not running."""
    directory = _state_dir(state_dir)
    try:
        current = environment.status(directory)
    except FileNotFoundError as error:
        typer.echo(f"headwind dev status: {error}", err=True)
        raise typer.Exit(3) from None
    if as_json:
        sys.stdout.write(current.model_dump_json(indent=2) + "\n")
    else:
        typer.echo(render_text(current))
    if not current.running:
        raise typer.Exit(3)


# Written alongside (push.py, charts.py); registered here so that every `headwind dev` command
# hangs off one app.
app.command("push")(push.push_command)
app.command("publish-chart")(charts.publish_chart_command)
app.command("demo")(demo.demo_command)


def main() -> None:
    """`headwind-dev`: the same commands as `headwind dev`."""
    app()
