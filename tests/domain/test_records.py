"""What Headwind writes on workloads: history and remembered tags, capped and garbage-tolerant."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from headwind import records
from headwind.records import HistoryEntry, HistoryKind

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def entry(container: str, n: int, kind: HistoryKind = HistoryKind.UPDATE) -> HistoryEntry:
    return HistoryEntry(
        container=container,
        image=f"nginx:1.{n}",
        previous_image=f"nginx:1.{n - 1}",
        at=T0 + timedelta(minutes=n),
        kind=kind,
    )


def test_history_round_trips_with_camel_case_keys() -> None:
    written = HistoryEntry(
        container="web",
        image="nginx:1.26",
        previous_image="nginx:1.25",
        at=T0,
        kind=HistoryKind.ROLLBACK,
        by="alice",
        reason="health check failed",
        workflow_id="update-abc",
    )
    text = records.dump_history([written])
    assert json.loads(text) == [
        {
            "container": "web",
            "image": "nginx:1.26",
            "previousImage": "nginx:1.25",
            "at": "2025-01-02T03:04:05Z",
            "kind": "rollback",
            "by": "alice",
            "reason": "health check failed",
            "workflowId": "update-abc",
        }
    ]
    assert records.parse_history(text) == ((written,), None)


def test_history_omits_unset_fields() -> None:
    minimal = HistoryEntry(container="web", image="nginx:2", at=T0)
    assert json.loads(records.dump_history([minimal])) == [
        {"container": "web", "image": "nginx:2", "at": "2025-01-02T03:04:05Z", "kind": "update"}
    ]


def test_append_puts_newest_first_and_caps_per_container() -> None:
    history: tuple[HistoryEntry, ...] = ()
    for n in range(1, 16):
        history = records.append_history(history, entry("web", n))
        history = records.append_history(history, entry("sidecar", n))
    web = [item for item in history if item.container == "web"]
    assert len(web) == records.HISTORY_LIMIT
    assert [item.image for item in web[:2]] == ["nginx:1.15", "nginx:1.14"]
    assert web[-1].image == "nginx:1.6"
    assert len(history) == 2 * records.HISTORY_LIMIT
    assert history[0].container == "sidecar"


def test_append_keeps_other_containers_untouched() -> None:
    history = (*(entry("web", n) for n in range(10, 0, -1)), entry("db", 1))
    appended = records.append_history(history, entry("web", 11))
    assert appended[0].image == "nginx:1.11"
    assert appended[-1].container == "db"
    assert [item.image for item in appended if item.container == "web"][-1] == "nginx:1.2"


def test_append_with_custom_limit() -> None:
    history = records.append_history([entry("web", 1)], entry("web", 2), limit=1)
    assert [item.image for item in history] == ["nginx:1.2"]


@pytest.mark.parametrize(
    ("text", "count", "problem"),
    [
        (None, 0, None),
        ("", 0, None),
        ("[]", 0, None),
        ("nope", 0, "not valid JSON"),
        ('{"container": "web"}', 0, "not a JSON list"),
        ("[1, {}]", 0, "2 of 2 entries"),
        ('[{"container": "web", "image": "a:1", "at": "2025-01-02T03:04:05Z"}, 1]', 1, "1 of 2"),
        ('[{"container": "web", "image": "a:1", "at": "2025-01-02T03:04:05"}]', 0, "1 of 1"),
        ('[{"container": "", "image": "a:1", "at": "2025-01-02T03:04:05Z"}]', 0, "1 of 1"),
        ('[{"container": "web", "image": "a:1", "at": "x"}]', 0, "1 of 1"),
        (
            '[{"container": "web", "image": "a:1", "at": "2025-01-02T03:04:05Z", "kind": "oops"}]',
            0,
            "1 of 1",
        ),
        (
            '[{"container": "web", "image": "a:1", "at": "2025-01-02T03:04:05+02:00", "x": 1}]',
            1,
            None,
        ),
    ],
    ids=[
        "absent",
        "empty",
        "empty-list",
        "not-json",
        "object",
        "all-bad",
        "one-bad",
        "naive-time",
        "empty-container",
        "bad-time",
        "unknown-kind",
        "offset-and-unknown-field",
    ],
)
def test_parse_history_tolerates_garbage(text: str | None, count: int, problem: str | None) -> None:
    entries, message = records.parse_history(text)
    assert len(entries) == count
    if problem is None:
        assert message is None
    else:
        assert message is not None
        assert problem in message


@pytest.mark.parametrize(
    ("text", "expected", "problem"),
    [
        (None, {}, None),
        ('{"web": ["1.2", "1.1"]}', {"web": ("1.2", "1.1")}, None),
        ("[]", {}, "not a JSON object"),
        ("{", {}, "not valid JSON"),
        ('{"web": ["1.2"], "db": "1.0"}', {"web": ("1.2",)}, "db"),
        ('{"web": [1]}', {}, "web"),
        ('{"web": [""]}', {}, "web"),
    ],
    ids=["absent", "valid", "list", "broken-json", "one-bad", "numbers", "empty-tag"],
)
def test_parse_remembered(
    text: str | None, expected: dict[str, tuple[str, ...]], problem: str | None
) -> None:
    remembered, message = records.parse_remembered(text)
    assert remembered == expected
    assert (message is None) if problem is None else (message is not None and problem in message)


def test_remember_puts_newest_first_without_duplicates_and_caps() -> None:
    remembered: dict[str, tuple[str, ...]] = {"db": ("9.0",)}
    for n in range(25):
        remembered = records.remember(remembered, "web", f"1.{n}")
    remembered = records.remember(remembered, "web", "1.20")
    web = remembered["web"]
    assert len(web) == records.REMEMBERED_LIMIT
    assert web[:2] == ("1.20", "1.24")
    assert web.count("1.20") == 1
    assert remembered["db"] == ("9.0",)


def test_remembered_round_trips() -> None:
    remembered = records.remember({"web": ("1.0",)}, "chart", "2.0.0")
    text = records.dump_remembered(remembered)
    assert text == '{"chart":["2.0.0"],"web":["1.0"]}'
    assert records.parse_remembered(text) == (remembered, None)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (T0, "2025-01-02T03:04:05Z"),
        (T0.replace(microsecond=999_999), "2025-01-02T03:04:05Z"),
        (
            datetime(2025, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "2025-01-02T03:04:05Z",
        ),
    ],
    ids=["utc", "fraction-dropped", "offset-converted"],
)
def test_format_timestamp(moment: datetime, text: str) -> None:
    assert records.format_timestamp(moment) == text


def test_format_timestamp_refuses_naive() -> None:
    with pytest.raises(ValueError, match="time zone"):
        records.format_timestamp(datetime(2025, 1, 2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-02T03:04:05Z", T0),
        ("2025-01-02T05:04:05+02:00", T0),
        ("2025-01-02T03:04:05.5Z", T0.replace(microsecond=500_000)),
    ],
    ids=["zulu", "offset", "fraction"],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    assert records.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text", ["2025-01-02T03:04:05", "yesterday", ""], ids=["naive", "word", "empty"]
)
def test_parse_timestamp_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the stdlib's
        records.parse_timestamp(text)


@pytest.mark.parametrize(
    "text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000], ids=["open", "closed"]
)
def test_deeply_nested_json_is_garbage_not_a_crash(text: str) -> None:
    assert records.parse_history(text) == ((), "not valid JSON; the history is ignored")
    assert records.parse_remembered(text)[0] == {}


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        pytest.param("by", records.BY_LIMIT, id="approver"),
        pytest.param("reason", records.REASON_LIMIT, id="reason"),
    ],
)
def test_history_entries_cap_what_callers_send(field: str, limit: int) -> None:
    """An oversized approver once made every apply fail for good (annotation too large)."""
    values = {field: "x" * 1_000_000}
    entry = records.HistoryEntry(
        container="main", image="r/app:1.1", at=datetime.now(UTC), **values
    )
    written = getattr(entry, field)
    assert len(written) == limit
    assert written.endswith("…")
