"""`headwind policy check`: output, JSON shape and exit statuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from worker.cli import policy as policy_cmd

runner = CliRunner()


def _check(*args: str) -> Any:
    # The sub-app directly: importing the whole CLI pulls in Temporal, FastAPI and Kubernetes.
    return runner.invoke(policy_cmd.app, ["check", *args])


# args, chosen, {tag: (eligible, reason)}
JSON_CASES = [
    pytest.param(
        ["--policy", "minor", "--current", "1.2.3", "1.2.4", "1.3.0", "2.0.0", "1.3.1-rc.1"],
        "1.3.0",
        {
            "1.2.4": (True, "not-greatest"),
            "1.3.0": (True, "chosen"),
            "2.0.0": (False, "other-major"),
            "1.3.1-rc.1": (False, "prerelease"),
        },
        id="spec-minor-example",
    ),
    pytest.param(
        ["--policy", "glob", "--pattern", "v1.*", "--current", "v1.0.0", "v1.9.9", "v2.0.0"],
        "v1.9.9",
        {"v1.9.9": (True, "chosen"), "v2.0.0": (False, "pattern-mismatch")},
        id="spec-glob-example",
    ),
    pytest.param(
        ["--policy", "minor", "--prerelease", "--current", "1.2.3", "1.3.1-rc.1", "1.3.0"],
        "1.3.1-rc.1",
        {"1.3.1-rc.1": (True, "chosen"), "1.3.0": (True, "not-greatest")},
        id="prerelease-flag",
    ),
    pytest.param(
        [
            *("--policy", "minor", "--current", "1.2.3"),
            *("--rejected", "1.3.0", "--failed", "1.2.9"),
            *("1.3.0", "1.2.9", "1.2.5"),
        ],
        "1.2.5",
        {
            "1.3.0": (False, "rejected-earlier"),
            "1.2.9": (False, "failed-earlier"),
            "1.2.5": (True, "chosen"),
        },
        id="rejected-and-failed",
    ),
    pytest.param(
        ["--policy", "patch", "--current", "1.2.3", "1.3.0", "latest"],
        None,
        {"1.3.0": (False, "other-minor"), "latest": (False, "not-a-version")},
        id="no-update",
    ),
    pytest.param(
        ["--current", "1.2.3", "1.3.0"],
        None,
        {"1.3.0": (False, "policy-none")},
        id="default-policy-is-none",
    ),
    pytest.param(
        ["--policy", "range:>=1.20 <1.28", "--current", "1.21.0", "1.27.1", "1.28.0"],
        "1.27.1",
        {"1.27.1": (True, "chosen"), "1.28.0": (False, "out-of-range")},
        id="range",
    ),
    pytest.param(
        ["--policy", r"regex:^build-(?P<num>\d+)$", "--current", "build-9", "build-10", "x"],
        "build-10",
        {"build-10": (True, "chosen"), "x": (False, "regex-mismatch")},
        id="regex",
    ),
    pytest.param(
        ["--policy", "force", "--current", "latest", "latest"],
        None,
        {"latest": (False, "same-as-current")},
        id="force-same-tag",
    ),
    pytest.param(
        ["--policy", "minor", "--current", "1.2.3", "--pattern", "1.2.*", "1.3.0", "1.2.4"],
        "1.2.4",
        {"1.3.0": (False, "pattern-mismatch"), "1.2.4": (True, "chosen")},
        id="pattern-filter",
    ),
]


@pytest.mark.parametrize(("args", "chosen", "verdicts"), JSON_CASES)
def test_json_output(
    args: list[str], chosen: str | None, verdicts: dict[str, tuple[bool, str]]
) -> None:
    result = _check(*args, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["chosen"] == chosen
    assert {c["tag"]: (c["eligible"], c["reason"]) for c in document["candidates"]} == verdicts
    assert all(isinstance(c["message"], str) and c["message"] for c in document["candidates"])
    assert isinstance(document["reason"], str)


def test_json_without_a_choice_prints_null() -> None:
    result = _check("--policy", "none", "--current", "1", "2", "--json")
    assert '"chosen": null' in result.stdout
    assert json.loads(result.stdout)["reason"] == "policy-none"


def test_human_output_has_one_line_per_candidate_and_the_choice() -> None:
    result = _check(
        "--policy", "minor", "--current", "1.2.3", "1.2.4", "1.3.0", "2.0.0", "1.3.1-rc.1"
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "policy minor, current tag 1.2.3"
    assert any(
        line.startswith("2.0.0 ") and "no" in line and "other-major" in line for line in lines
    )
    assert any(line.startswith("1.3.0 ") and "yes" in line and "chosen" in line for line in lines)
    assert lines[-1] == "chosen: 1.3.0 (update 1.2.3 to 1.3.0 under policy minor)"


def test_human_output_says_why_nothing_was_chosen() -> None:
    result = _check("--policy", "minor", "--current", "latest", "1.0.0")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].startswith("no update: the current tag latest")
    assert result.stdout.rstrip().endswith("[current-not-a-version]")


BAD_INPUT = [
    pytest.param(
        ["--policy", "minr", "--current", "1", "2"], "unknown policy 'minr'", id="unknown"
    ),
    pytest.param(
        ["--policy", "glob", "--current", "1", "2"], "needs a pattern", id="glob-no-pattern"
    ),
    pytest.param(
        ["--policy", "range:>=abc", "--current", "1", "2"], "invalid range", id="bad-range"
    ),
    pytest.param(
        ["--policy", "regex:(x", "--current", "1", "2"],
        "invalid regular expression",
        id="bad-regex",
    ),
    pytest.param(["--policy", "range", "--current", "1", "2"], "needs an argument", id="no-range"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line_on_stderr(args: list[str], message: str) -> None:
    result = _check(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


USAGE_ERRORS = [
    pytest.param(["--policy", "minor", "1.2.4"], id="missing-current"),
    pytest.param(["--policy", "minor", "--current", "1.2.3"], id="missing-candidates"),
    pytest.param(["--current", "1", "--bogus", "2"], id="unknown-option"),
]


@pytest.mark.parametrize("args", USAGE_ERRORS)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert _check(*args).exit_code == 2


def test_the_headwind_cli_registers_policy_check() -> None:
    from worker.cli import app

    result = runner.invoke(app, ["policy", "check", "--policy", "major", "--current", "1", "2"])
    assert result.exit_code == 0
    assert "chosen: 2" in result.stdout
