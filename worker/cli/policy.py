"""`headwind policy check`: the policy engine without a cluster.

Users debugging "why was this not updated?" need exactly what the operator would decide, so
this command builds the same `PolicySettings` the annotations produce and calls the same
`policy.evaluate`; it adds nothing but presentation. `--explain` also shows how each tag was
read (`versions.parse`), because most surprises come from there: `-ls30` is a revision,
`-alpine` a variant, `-rc1-alpine` both a prerelease and a variant.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from headwind import policy, versions

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
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Also show how each tag reads as a version: prefix, parts, prerelease, variant,"
            " revision.",
        ),
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
    typer.echo(_as_json(decision, explain) if as_json else _as_table(decision, explain))


def _as_json(decision: policy.Decision, explain: bool) -> str:
    candidates: list[dict[str, object]] = []
    for verdict in decision.candidates:
        candidate: dict[str, object] = {
            "tag": verdict.tag,
            "eligible": verdict.eligible,
            "reason": verdict.reason.value,
            "message": verdict.message,
        }
        if explain:
            candidate["parsed"] = _parsed(verdict.tag)
        candidates.append(candidate)
    document: dict[str, object] = {
        "chosen": decision.chosen,
        "reason": decision.reason.value,
        "message": decision.message,
        "policy": str(decision.policy),
        "current": decision.current,
    }
    if explain:
        document["current_parsed"] = _parsed(decision.current)
    document["candidates"] = candidates
    return json.dumps(document, indent=2)


def _parsed(tag: str) -> dict[str, object] | None:
    """How the tag reads as a version, or None when it is not one."""
    version = versions.parse(tag)
    if version is None:
        return None
    return {
        "prefix": version.prefix,
        "parts": list(version.parts),
        "dashed_date": version.dashed_date,
        "prerelease": version.prerelease,
        "variant": version.variant,
        "revision": version.revision,
        "build": version.build,
    }


def _reading(tag: str) -> str:
    """How the tag reads as a version, in a few words for the table."""
    version = versions.parse(tag)
    if version is None:
        return "not a version"
    parts = ".".join(map(str, version.parts))
    words = [f"prefix {version.prefix}"] if version.prefix else []
    words.append(f"date {parts}" if version.dashed_date else f"parts {parts}")
    for name in ("prerelease", "variant", "revision", "build"):
        value = getattr(version, name)
        if value is not None:
            words.append(f"{name} {value}")
    return ", ".join(words)


def _as_table(decision: policy.Decision, explain: bool) -> str:
    header = ("TAG", "ELIGIBLE", "REASON", *(("READ AS",) if explain else ()), "WHY")
    rows = [
        (
            verdict.tag,
            "yes" if verdict.eligible else "no",
            verdict.reason.value,
            *((_reading(verdict.tag),) if explain else ()),
            verdict.message,
        )
        for verdict in decision.candidates
    ]
    aligned = len(header) - 1
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(aligned)]
    current = f"current tag {decision.current}"
    if explain:
        current += f" ({_reading(decision.current)})"
    lines = [f"policy {decision.policy}, {current}", ""]
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join((*cells, row[-1])))
    lines.append("")
    if decision.chosen is not None:
        lines.append(f"chosen: {decision.chosen} ({decision.message})")
    else:
        lines.append(f"{decision.message} [{decision.reason.value}]")
    return "\n".join(lines)
