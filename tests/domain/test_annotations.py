"""The `headwind.sh/*` annotations: documented defaults, every value form, and the safe side."""

# No `from __future__ import annotations` here: it would shadow `headwind.annotations` for mypy.

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind import annotations, images, policy, records
from headwind.annotations import EventSource

H = "headwind.sh/"


def parsed(values: dict[str, str]) -> annotations.WorkloadAnnotations:
    result, problems = annotations.parse(values)
    assert problems == []
    return result


def test_defaults_are_spec_defaults() -> None:
    result, problems = annotations.parse({})
    assert problems == []
    assert result.policy == policy.Policy(kind=policy.PolicyKind.NONE)
    assert result.pattern is None
    assert result.require_approval is True
    assert result.min_update_interval == timedelta(seconds=300)
    assert result.images == ()
    assert result.event_source is EventSource.WEBHOOK
    assert result.polling_interval is None
    assert result.auto_rollback is False
    assert result.rollback_timeout == timedelta(seconds=300)
    assert result.health_check_retries == 3
    assert result.approval_timeout == timedelta(hours=24)
    assert result.prerelease is False
    assert result.pin_digest is False
    assert result.min_age == timedelta(0)
    assert result.last_update is None
    assert result.history == ()
    assert result.rejected_tags == {}
    assert result.failed_tags == {}


def test_none_and_foreign_annotations() -> None:
    assert annotations.parse(None) == (annotations.WorkloadAnnotations(), [])
    foreign = {"kubectl.kubernetes.io/last-applied-configuration": "{}", "headwind.io/x": "1"}
    assert annotations.parse(foreign) == (annotations.WorkloadAnnotations(), [])


VALID = [
    pytest.param("policy", "minor", "policy", policy.parse_policy("minor"), id="policy"),
    pytest.param("policy", " MAJOR\n", "policy", policy.parse_policy("major"), id="policy-case"),
    pytest.param(
        "policy", "range:>=1.20 <1.28", "policy", policy.parse_policy("range:>=1.20 <1.28"),
        id="policy-range",
    ),
    pytest.param("pattern", "v1.*", "pattern", "v1.*", id="pattern"),
    pytest.param("require-approval", "false", "require_approval", False, id="approval-false"),
    pytest.param("min-update-interval", "90", "min_update_interval", timedelta(seconds=90),
                 id="interval-seconds"),
    pytest.param("min-update-interval", "15m", "min_update_interval", timedelta(minutes=15),
                 id="interval-duration"),
    pytest.param("min-update-interval", "0", "min_update_interval", timedelta(0),
                 id="interval-zero"),
    pytest.param("images", "web, sidecar", "images", ("web", "sidecar"), id="images-names"),
    pytest.param("images", "nginx,ghcr.io/org/app", "images", ("nginx", "ghcr.io/org/app"),
                 id="images-repositories"),
    pytest.param("images", "web,,web, ", "images", ("web",), id="images-duplicates-blanks"),
    pytest.param("event-source", "polling", "event_source", EventSource.POLLING, id="polling"),
    pytest.param("event-source", "Both", "event_source", EventSource.BOTH, id="both-any-case"),
    pytest.param("event-source", "none", "event_source", EventSource.NONE, id="source-none"),
    pytest.param("polling-interval", "2h", "polling_interval", timedelta(hours=2),
                 id="polling-interval"),
    pytest.param("auto-rollback", "yes", "auto_rollback", True, id="auto-rollback"),
    pytest.param("rollback-timeout", "10m", "rollback_timeout", timedelta(minutes=10),
                 id="rollback-timeout"),
    pytest.param("health-check-retries", "5", "health_check_retries", 5, id="retries"),
    pytest.param("approval-timeout", "1d12h", "approval_timeout", timedelta(hours=36),
                 id="approval-timeout"),
    pytest.param("prerelease", "TRUE", "prerelease", True, id="prerelease"),
    pytest.param("pin-digest", "1", "pin_digest", True, id="pin-digest"),
    pytest.param("min-age", "3d", "min_age", timedelta(days=3), id="min-age"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value", "field", "expected"), VALID)
def test_valid_values(key: str, value: str, field: str, expected: Any) -> None:
    values = {H + key: value}
    if key == "policy" and value.strip().lower() == "glob":
        values[H + "pattern"] = "*"
    assert getattr(parsed(values), field) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("True", True), ("TRUE", True), ("yes", True), ("YES", True), ("1", True),
        ("false", False), ("False", False), ("no", False), ("No", False), ("0", False),
        (" true\n", True),
    ],
    ids=lambda value: repr(value),
)  # fmt: skip
def test_booleans(text: str, expected: bool) -> None:
    assert annotations.parse_bool(text) is expected


@pytest.mark.parametrize(
    "text", ["on", "off", "y", "n", "2", "-1", "truee", "t"], ids=lambda value: repr(value)
)
def test_not_booleans(text: str) -> None:
    with pytest.raises(ValueError, match="not a boolean"):
        annotations.parse_bool(text)


BAD = [
    pytest.param("policy", "newest", "policy", policy.Policy(), "none", "unknown policy",
                 id="policy-unknown"),
    pytest.param("policy", "range:>>1", "policy", policy.Policy(), "none", "invalid range",
                 id="policy-bad-range"),
    pytest.param("policy", "regex:(", "policy", policy.Policy(), "none", "regular expression",
                 id="policy-bad-regex"),
    pytest.param("require-approval", "maybe", "require_approval", True, "true", "not a boolean",
                 id="approval-unparsable-is-true"),
    pytest.param("require-approval", "off", "require_approval", True, "true", "not a boolean",
                 id="approval-off-is-not-false"),
    pytest.param("min-update-interval", "5 minutes", "min_update_interval",
                 timedelta(seconds=300), "5m", "not a duration", id="interval-words"),
    pytest.param("min-update-interval", "-60", "min_update_interval", timedelta(seconds=300),
                 "5m", "negative", id="interval-negative"),
    pytest.param("event-source", "webhooks", "event_source", EventSource.NONE, "none",
                 "unknown event source", id="source-unknown-is-none"),
    pytest.param("polling-interval", "0", "polling_interval", None, "global", "longer than zero",
                 id="polling-zero-is-global"),
    pytest.param("polling-interval", "often", "polling_interval", None, "global",
                 "not a duration", id="polling-words-is-global"),
    pytest.param("auto-rollback", "sure", "auto_rollback", True, "true", "not a boolean",
                 id="auto-rollback-unparsable-is-true"),
    pytest.param("rollback-timeout", "0s", "rollback_timeout", timedelta(seconds=300), "5m",
                 "longer than zero", id="rollback-timeout-zero"),
    pytest.param("health-check-retries", "0", "health_check_retries", 3, "3", "at least 1",
                 id="retries-zero"),
    pytest.param("health-check-retries", "-2", "health_check_retries", 3, "3", "at least 1",
                 id="retries-negative"),
    pytest.param("health-check-retries", "2.5", "health_check_retries", 3, "3", "whole number",
                 id="retries-fraction"),
    pytest.param("health-check-retries", "٣", "health_check_retries", 3, "3", "whole number",
                 id="retries-non-ascii-digit"),
    pytest.param("approval-timeout", "1 day", "approval_timeout", timedelta(hours=24), "1d",
                 "not a duration", id="approval-timeout-words"),
    pytest.param("prerelease", "please", "prerelease", False, "false", "not a boolean",
                 id="prerelease-unparsable-is-false"),
    pytest.param("pin-digest", "sha", "pin_digest", False, "false", "not a boolean",
                 id="pin-digest-unparsable-is-false"),
    pytest.param("min-age", "2days", "min_age", timedelta(hours=24), "24h", "unknown unit",
                 id="min-age-unparsable-is-24h"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value", "field", "safe", "used", "message"), BAD)
def test_bad_values_fall_back_to_the_safe_side(
    key: str, value: str, field: str, safe: Any, used: str, message: str
) -> None:
    result, problems = annotations.parse({H + key: value})
    assert getattr(result, field) == safe
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.key, problem.value, problem.used) == (H + key, value, used)
    assert message in problem.message


def test_bad_values_do_not_affect_good_ones() -> None:
    result, problems = annotations.parse(
        {H + "policy": "minor", H + "require-approval": "nah", H + "min-age": "1h"}
    )
    assert result.policy.kind is policy.PolicyKind.MINOR
    assert result.min_age == timedelta(hours=1)
    assert result.require_approval is True
    assert [problem.key for problem in problems] == [H + "require-approval"]


@pytest.mark.parametrize("value", ["", "   ", "\n"], ids=["empty", "spaces", "newline"])
@pytest.mark.parametrize(
    "key", ["policy", "require-approval", "images", "min-age", "last-update", "update-history"]
)
def test_empty_values_are_absent(key: str, value: str) -> None:
    assert annotations.parse({H + key: value}) == (annotations.WorkloadAnnotations(), [])


def test_bad_images_entries_are_kept_and_match_nothing() -> None:
    result, problems = annotations.parse({H + "images": "web, Web!"})
    assert result.images == ("web", "Web!")
    assert [problem.key for problem in problems] == [H + "images"]
    assert "'Web!'" in problems[0].message
    assert annotations.tracks(result, "web", "nginx:1")
    assert not annotations.tracks(result, "sidecar", "nginx:1")


def test_only_bad_images_entries_track_nothing() -> None:
    result, problems = annotations.parse({H + "images": "Bad!"})
    assert len(problems) == 1
    assert not annotations.tracks(result, "web", "nginx:1")


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("headwind.sh/polcy", "headwind.sh/policy"),
        ("headwind.sh/require-aproval", "headwind.sh/require-approval"),
        ("headwind.sh/autorollback", "headwind.sh/auto-rollback"),
        ("headwind.sh/image", "headwind.sh/images"),
        ("headwind.sh/something-else", None),
    ],
    ids=["policy", "require-approval", "auto-rollback", "images", "no-suggestion"],
)
def test_unknown_keys_are_reported(key: str, suggestion: str | None) -> None:
    result, problems = annotations.parse({key: "true"})
    assert result == annotations.WorkloadAnnotations()
    assert len(problems) == 1
    assert (problems[0].key, problems[0].used) == (key, "ignored")
    if suggestion:
        assert problems[0].message.endswith(f"did you mean {suggestion}?")
    else:
        assert "did you mean" not in problems[0].message


def test_glob_without_pattern_is_reported() -> None:
    result, problems = annotations.parse({H + "policy": "glob"})
    assert result.policy.kind is policy.PolicyKind.GLOB
    assert [problem.key for problem in problems] == [H + "policy"]
    assert "needs a pattern" in problems[0].message
    assert parsed({H + "policy": "glob", H + "pattern": "v1.*"}).pattern == "v1.*"


def test_problem_reads_well() -> None:
    _, problems = annotations.parse({H + "require-approval": "maybe"})
    assert str(problems[0]) == (
        "headwind.sh/require-approval='maybe': 'maybe' is not a boolean "
        "(true/false/yes/no/1/0); using 'true'"
    )


def test_records_are_read() -> None:
    history = records.dump_history(
        [
            records.HistoryEntry(
                container="web",
                image="nginx:1.26",
                previous_image="nginx:1.25",
                at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
            )
        ]
    )
    result = parsed(
        {
            H + "last-update": "2025-01-02T03:04:05Z",
            H + "update-history": history,
            H + "rejected-tags": '{"web": ["1.27.0"]}',
            H + "failed-tags": '{"web": ["1.28.0"], "chart": ["2.0.0"]}',
        }
    )
    assert result.last_update == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert [entry.image for entry in result.history] == ["nginx:1.26"]
    assert result.rejected_tags == {"web": ("1.27.0",)}
    settings = result.policy_settings("web")
    assert settings.rejected == frozenset({"1.27.0"})
    assert settings.failed == frozenset({"1.28.0"})
    assert result.policy_settings("other").failed == frozenset()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("last-update", "yesterday"),
        ("last-update", "2025-01-02T03:04:05"),
        ("update-history", "not json"),
        ("update-history", '{"a": 1}'),
        ("rejected-tags", "[1, 2]"),
        ("failed-tags", '{"web": "1.0"}'),
    ],
    ids=["last-update-words", "last-update-no-zone", "history-not-json", "history-not-list",
         "rejected-not-object", "failed-not-list"],
)  # fmt: skip
def test_garbage_records_are_reported_and_ignored(key: str, value: str) -> None:
    result, problems = annotations.parse({H + key: value})
    assert result == annotations.WorkloadAnnotations()
    assert [problem.key for problem in problems] == [H + key]


TRACKS = [
    pytest.param("", "web", "nginx:1.25", True, id="absent-tracks-all"),
    pytest.param("web", "web", "nginx:1.25", True, id="container-name"),
    pytest.param("web", "sidecar", "nginx:1.25", False, id="other-container"),
    pytest.param("nginx", "web", "nginx:1.25", True, id="short-repository"),
    pytest.param("docker.io/library/nginx", "web", "nginx:1.25", True, id="long-repository"),
    pytest.param("nginx", "web", "index.docker.io/library/nginx@sha256:" + "a" * 64, True,
                 id="alias-and-digest"),
    pytest.param("nginx:1.0", "web", "nginx:1.25", True, id="tag-in-entry-ignored"),
    pytest.param("nginx", "web", "registry.example.com/team/nginx:1", False,
                 id="same-name-other-registry"),
    pytest.param("registry.example.com/team/nginx", "web", "nginx:1", False,
                 id="other-registry-entry"),
    pytest.param("localhost:5000/app", "web", "localhost:5000/app:2", True, id="port"),
    pytest.param("localhost:5000/app", "web", "localhost:5001/app:2", False, id="other-port"),
    pytest.param("sidecar, ghcr.io/org/app", "web", "ghcr.io/org/app:v1", True,
                 id="second-entry"),
    pytest.param("web", "web", "Not A Ref", True, id="bad-image-by-name"),
    pytest.param("nginx", "web", "Not A Ref", False, id="bad-image-by-repository"),
]  # fmt: skip


@pytest.mark.parametrize(("entries", "container", "image", "expected"), TRACKS)
def test_tracks(entries: str, container: str, image: str, expected: bool) -> None:
    result, _ = annotations.parse({H + "images": entries})
    assert annotations.tracks(result, container, image) is expected
    try:
        ref = images.parse(image)
    except images.ImageReferenceError:
        return
    assert annotations.tracks(result, container, ref) is expected


def test_model_is_frozen() -> None:
    result = annotations.WorkloadAnnotations()
    with pytest.raises(ValueError, match="frozen"):
        result.require_approval = False  # type: ignore[misc]


def test_key_lists_cover_every_field() -> None:
    """Every model field is one key; a new key cannot be forgotten in USER_KEYS/WRITTEN_KEYS."""
    keys = {key.removeprefix(H).replace("-", "_") for key in annotations.USER_KEYS}
    keys |= {key.removeprefix(H).replace("-", "_") for key in annotations.WRITTEN_KEYS}
    keys = {"history" if key == "update_history" else key for key in keys}
    assert keys == set(annotations.WorkloadAnnotations.model_fields)


@given(
    st.dictionaries(
        st.sampled_from([*annotations.USER_KEYS, *annotations.WRITTEN_KEYS, H + "typo"]),
        st.text(max_size=40),
    )
)
def test_parse_never_raises(values: dict[str, str]) -> None:
    result, problems = annotations.parse(values)
    assert isinstance(result, annotations.WorkloadAnnotations)
    assert all(problem.key in values for problem in problems)


@pytest.mark.parametrize("key", [*annotations.USER_KEYS, *annotations.WRITTEN_KEYS])
def test_every_key_is_documented(key: str) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert f"| `{key}` |" in docs.read_text()
