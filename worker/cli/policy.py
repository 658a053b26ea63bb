"""`headwind policy check`: the policy engine without a cluster (SPEC §4).

Users debugging "why was this not updated?" need exactly what the operator would decide, so
this command builds the same `PolicySettings` the annotations produce and calls the same
`policy.evaluate`; it adds nothing but presentation.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from headwind import policy

app = typer.Typer(
    help="Explain version policy decisions.",
    no_args_is_help=True,
    add_completion=False,
)

BAD_INPUT = 2
"""Exit status for input the engine cannot judge (same as Click's usage errors)."""


@app.callback()
def _group() -> None:
    """Explain version policy decisions without a cluster."""


@app.command()
def check(
    candidates: Annotated[
        list[str],
        typer.Argument(metavar="CANDIDATE", help="Candidate tags to judge.", show_default=False),
    ],
    current: Annotated[
        str, typer.Option("--current", help="The tag the workload runs now.", show_default=False)
    ],
    policy_text: Annotated[
        str,
        typer.Option(
            "--policy",
            help=(
                "none, patch, minor, major, all, glob, force, range:<constraint> or"
                " regex:<expression>. Defaults to none, like a workload without"
                " headwind.sh/policy, which never updates."
            ),
        ),
    ] = "none",
    pattern: Annotated[
        str | None,
        typer.Option(
            "--pattern",
            help="headwind.sh/pattern: the glob of policy glob; an extra filter for the others.",
            show_default=False,
        ),
    ] = None,
    prerelease: Annotated[
        bool, typer.Option("--prerelease", help="headwind.sh/prerelease: allow prereleases.")
    ] = False,
    rejected: Annotated[
        list[str] | None,
        typer.Option("--rejected", help="A tag rejected earlier (repeatable).", show_default=False),
    ] = None,
    failed: Annotated[
        list[str] | None,
        typer.Option(
            "--failed", help="A tag rolled back after failing (repeatable).", show_default=False
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Judge CANDIDATE tags against --current under --policy, and say which would be chosen.

    Exit status 0 whether or not an update is chosen; 2 for bad input.
    """
    try:
        settings = policy.PolicySettings(
            policy=policy.parse_policy(policy_text),
            pattern=pattern,
            prerelease=prerelease,
            rejected=frozenset(rejected or ()),
            failed=frozenset(failed or ()),
        )
        policy.check_settings(settings)
    except policy.PolicyError as error:
        typer.echo(f"headwind policy check: {error}", err=True)
        raise typer.Exit(BAD_INPUT) from None

    decision = policy.evaluate(settings, current, candidates)
    typer.echo(_as_json(decision) if as_json else _as_table(decision))


def _as_json(decision: policy.Decision) -> str:
    document = {
        "chosen": decision.chosen,
        "reason": decision.reason.value,
        "message": decision.message,
        "policy": str(decision.policy),
        "current": decision.current,
        "candidates": [
            {
                "tag": verdict.tag,
                "eligible": verdict.eligible,
                "reason": verdict.reason.value,
                "message": verdict.message,
            }
            for verdict in decision.candidates
        ],
    }
    return json.dumps(document, indent=2)


def _as_table(decision: policy.Decision) -> str:
    header = ("TAG", "ELIGIBLE", "REASON", "WHY")
    rows = [
        (verdict.tag, "yes" if verdict.eligible else "no", verdict.reason.value, verdict.message)
        for verdict in decision.candidates
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(3)]
    lines = [f"policy {decision.policy}, current tag {decision.current}", ""]
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join((*cells, row[3])))
    lines.append("")
    if decision.chosen is not None:
        lines.append(f"chosen: {decision.chosen} ({decision.message})")
    else:
        lines.append(f"{decision.message} [{decision.reason.value}]")
    return "\n".join(lines)
