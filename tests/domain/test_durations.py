"""Durations: plain seconds and Go-style units, strict enough to catch typos."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel

from headwind import durations

PARSE = [
    pytest.param("300", timedelta(seconds=300), id="plain-seconds"),
    pytest.param("0", timedelta(0), id="zero"),
    pytest.param(" 15m\n", timedelta(minutes=15), id="surrounding-whitespace"),
    pytest.param("90s", timedelta(seconds=90), id="seconds"),
    pytest.param("15m", timedelta(minutes=15), id="minutes"),
    pytest.param("2h", timedelta(hours=2), id="hours"),
    pytest.param("1d", timedelta(days=1), id="days"),
    pytest.param("1h30m", timedelta(hours=1, minutes=30), id="compound"),
    pytest.param("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4), id="all-units"),
    pytest.param("1d30s", timedelta(days=1, seconds=30), id="skipping-units"),
    pytest.param("1.5h", timedelta(minutes=90), id="decimal-hours"),
    pytest.param("0.5s", timedelta(milliseconds=500), id="decimal-seconds"),
    pytest.param(".5m", timedelta(seconds=30), id="leading-dot"),
    pytest.param("2.5", timedelta(seconds=2.5), id="decimal-plain"),
    pytest.param("0s", timedelta(0), id="zero-with-unit"),
    pytest.param("120m", timedelta(hours=2), id="unnormalised-amount"),
    pytest.param(300, timedelta(seconds=300), id="int"),
    pytest.param(1.5, timedelta(seconds=1.5), id="float"),
]


@pytest.mark.parametrize(("text", "expected"), PARSE)
def test_parse(text: str | int | float, expected: timedelta) -> None:
    assert durations.parse(text) == expected


INVALID = [
    pytest.param("", "empty", id="empty"),
    pytest.param("   ", "empty", id="blank"),
    pytest.param("-5", "negative", id="negative-seconds"),
    pytest.param("-5m", "negative", id="negative-unit"),
    pytest.param("5 m", "not a duration", id="space-inside"),
    pytest.param("15M", "unknown unit", id="uppercase-unit"),
    pytest.param("2days", "unknown unit", id="word-unit"),
    pytest.param("300ms", "unknown unit", id="milliseconds"),
    pytest.param("1w", "unknown unit", id="weeks"),
    pytest.param("30m1h", "largest first", id="out-of-order"),
    pytest.param("1m1m", "largest first", id="repeated"),
    pytest.param("m", "not a duration", id="unit-only"),
    pytest.param("5m3", "not a duration", id="trailing-number"),
    pytest.param("1e3", "not a duration|unknown unit", id="exponent"),
    pytest.param("1.", "not a duration", id="dangling-dot"),
    pytest.param("five", "not a duration", id="word"),
    pytest.param("PT5M", "not a duration|unknown unit", id="iso-8601"),
    pytest.param("9" * 30, "too long", id="overflow"),
    pytest.param(-1, "negative", id="negative-int"),
    pytest.param(float("nan"), "not finite", id="nan"),
    pytest.param(float("inf"), "not finite", id="infinity"),
    pytest.param(True, "not a duration", id="bool"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_parse_refuses(text: str | int | float, message: str) -> None:
    with pytest.raises(durations.DurationError, match=message):
        durations.parse(text)


def test_error_is_a_value_error() -> None:
    assert issubclass(durations.DurationError, ValueError)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=300), "5m"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=24), "1d"),
        (timedelta(days=1, seconds=61), "1d1m1s"),
        (timedelta(milliseconds=250), "0.25s"),
        (timedelta(minutes=1, microseconds=1), "1m0.000001s"),
    ],
    ids=["zero", "seconds", "minutes", "compound", "day", "sparse", "fraction", "microsecond"],
)
def test_to_text_round_trips(duration: timedelta, text: str) -> None:
    assert durations.to_text(duration) == text
    assert durations.parse(text) == duration


def test_to_text_refuses_negative() -> None:
    with pytest.raises(durations.DurationError):
        durations.to_text(timedelta(seconds=-1))


class _Model(BaseModel):
    interval: durations.Duration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        (300, timedelta(minutes=5)),
        (timedelta(hours=1), timedelta(hours=1)),
    ],
    ids=["text", "number", "timedelta"],
)
def test_pydantic_field(value: object, expected: timedelta) -> None:
    model = _Model.model_validate({"interval": value})
    assert model.interval == expected
    assert _Model.model_validate_json(model.model_dump_json()) == model


def test_pydantic_field_writes_text() -> None:
    assert _Model(interval=timedelta(minutes=90)).model_dump(mode="json") == {"interval": "1h30m"}


def test_pydantic_field_reports_bad_text() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        _Model.model_validate({"interval": "5 minutes"})
