"""`headwind policy check --explain`: how each tag was read, next to its verdict."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from worker.cli import policy as policy_cmd

runner = CliRunner()


def _check(*args: str) -> Any:
    return runner.invoke(policy_cmd.app, ["check", *args])


# tag, what --json --explain says it is (None: not a version)
PARSED = [
    pytest.param(
        "1.2.3-ls30",
        {"prefix": "", "parts": [1, 2, 3], "prerelease": None, "variant": None, "revision": "ls30"},
        id="1.2.3-ls30 is a revision",
    ),
    pytest.param(
        "1.2.4-alpine",
        {
            "prefix": "",
            "parts": [1, 2, 4],
            "prerelease": None,
            "variant": "alpine",
            "revision": None,
        },
        id="1.2.4-alpine is a variant",
    ),
    pytest.param(
        "v7.0.0-rc1-alpine",
        {"prefix": "v", "parts": [7, 0, 0], "prerelease": "rc1", "variant": "alpine"},
        id="v7.0.0-rc1-alpine is a prerelease of a variant",
    ),
    pytest.param(
        "1.25.3-debian-12-r5",
        {"variant": "debian-12", "revision": "r5", "dashed_date": False},
        id="1.25.3-debian-12-r5 is a revision of a variant",
    ),
    pytest.param(
        "2026-01-30",
        {"parts": [2026, 1, 30], "dashed_date": True, "variant": None},
        id="2026-01-30 is a date",
    ),
    pytest.param("latest", None, id="latest is not a version"),
]


@pytest.mark.parametrize(("tag", "expected"), PARSED)
def test_json_explain_gives_the_parsed_form_of_each_candidate(
    tag: str, expected: dict[str, Any] | None
) -> None:
    result = _check("--policy", "all", "--current", "1.2.3-ls29", tag, "--json", "--explain")
    assert result.exit_code == 0, result.output
    (candidate,) = json.loads(result.stdout)["candidates"]
    if expected is None:
        assert candidate["parsed"] is None
    else:
        assert {key: candidate["parsed"][key] for key in expected} == expected


def test_json_explain_also_reads_the_current_tag() -> None:
    result = _check(
        "--policy", "minor", "--current", "1.2.3-ls29", "1.2.3-ls30", "--json", "--explain"
    )
    document = json.loads(result.stdout)
    assert document["current_parsed"]["revision"] == "ls29"
    assert document["chosen"] == "1.2.3-ls30"


def test_json_without_explain_has_no_parsed_form() -> None:
    result = _check("--policy", "minor", "--current", "1.2.3", "1.2.4", "--json")
    document = json.loads(result.stdout)
    assert "current_parsed" not in document
    assert "parsed" not in document["candidates"][0]


def test_table_explain_shows_the_reading_next_to_the_verdict() -> None:
    result = _check(
        *("--policy", "minor", "--current", "1.2.3-ls30", "--explain"),
        *("1.2.3-ls31", "1.3.0-alpine", "latest"),
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "policy minor, current tag 1.2.3-ls30 (parts 1.2.3, revision ls30)"
    assert "READ AS" in lines[2]
    rows = {line.split()[0]: line for line in lines[3:-2]}
    assert len(rows) == 3
    assert "parts 1.2.3, revision ls31" in rows["1.2.3-ls31"]
    assert "chosen" in rows["1.2.3-ls31"]
    assert "parts 1.3.0, variant alpine" in rows["1.3.0-alpine"]
    assert "variant-mismatch" in rows["1.3.0-alpine"]
    assert "not a version" in rows["latest"]
    assert lines[-1].startswith("chosen: 1.2.3-ls31")


def test_a_regex_without_a_key_group_exits_2() -> None:
    result = _check("--policy", r"regex:\d+", "--current", "1", "2")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no named group 'version' or 'num'" in result.stderr


def test_force_never_chooses_the_current_tag() -> None:
    result = _check("--policy", "force", "--current", "latest", "latest", "main", "--json")
    document = json.loads(result.stdout)
    assert document["chosen"] == "main"
    reasons = {c["tag"]: c["reason"] for c in document["candidates"]}
    assert reasons == {"latest": "same-as-current", "main": "chosen"}
