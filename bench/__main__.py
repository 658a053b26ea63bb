"""`python -m bench [scenario …] [--quick]`: run the benchmark suite and write its report.

Starts a local environment on free ports (or reuses the one in `--state-dir`), runs the
scenarios, prints the table and writes the same figures as JSON (`--json`, by default
`bench/results/<commit>-<time>.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import os
import subprocess
import sys
from pathlib import Path

from bench import suite
from bench.report import RunInfo, render_table, to_json

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip()


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help=f"any of {', '.join(suite.SCENARIOS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats: under 5 minutes")
    parser.add_argument("--repeats", type=int, help="repeats of the latency measures")
    parser.add_argument(
        "--workloads", default="", help="memory: annotated Deployments to add, e.g. 1000,10000"
    )
    parser.add_argument("--state-dir", type=Path, help="reuse (or start) the environment here")
    parser.add_argument("--keep", action="store_true", help="leave a started environment up")
    parser.add_argument("--json", type=Path, help="where to write the JSON report")
    return parser.parse_args(argv)


async def _run(bench: suite.Bench, chosen: list[str]) -> None:
    async with bench.http:
        for name in chosen:
            print(f"bench: {name}", file=sys.stderr)
            await suite.SCENARIOS[name](bench)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    chosen = args.scenarios or list(suite.SCENARIOS)
    unknown = sorted(set(chosen) - set(suite.SCENARIOS))
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    options = suite.Options(
        quick=args.quick,
        repeats=args.repeats or (5 if args.quick else 20),
        intake_seconds=5 if args.quick else 15,
        workloads=tuple(int(n) for n in args.workloads.split(",") if n)
        or (() if args.quick else (1_000,)),
    )
    now = datetime.datetime.now(datetime.UTC)
    commit = _git("rev-parse", "HEAD")
    info = RunInfo(
        commit=commit,
        dirty=bool(_git("status", "--porcelain", "--untracked-files=no")),
        started_at=now.isoformat(timespec="seconds"),
        load_average=os.getloadavg(),
        cpus=os.cpu_count() or 1,
        quick=args.quick,
        scenarios=chosen,
    )
    with suite.environment(args.state_dir, keep=args.keep) as status:
        bench = suite.Bench(status, options)
        bench.add("memory", "headwind run RSS, idle", "MiB", [bench.headwind.rss_mib()])
        try:
            asyncio.run(_run(bench, chosen))
        finally:
            bench.cleanup()
    info = dataclasses.replace(info, load_average_end=os.getloadavg())
    path = args.json or ROOT / "bench" / "results" / f"{commit[:12]}-{now:%Y%m%dT%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(info, bench.figures))
    print(render_table(info, bench.figures))
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
