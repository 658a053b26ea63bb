"""Retry decisions, `Retry-After` parsing and backoff bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from clients import oci
from clients.oci import retrying

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("7", 7.0, id="delta-seconds"),
        pytest.param(" 0 ", 0.0, id="zero-with-spaces"),
        pytest.param("Wed, 01 Jan 2025 12:00:30 GMT", 30.0, id="http-date"),
        pytest.param("Wed, 01 Jan 2025 11:00:00 GMT", 0.0, id="http-date-in-the-past"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("-5", None, id="negative"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert retrying.parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        pytest.param("GET", 429, True, id="get-429"),
        pytest.param("POST", 429, True, id="post-429-never-processed"),
        pytest.param("HEAD", 503, True, id="head-503"),
        pytest.param("GET", 502, True, id="get-502"),
        pytest.param("POST", 502, False, id="post-502-may-have-acted"),
        pytest.param("PUT", 504, True, id="put-504-idempotent"),
        pytest.param("GET", 500, False, id="500-is-a-bug-not-load"),
        pytest.param("GET", 404, False, id="404"),
        pytest.param("GET", 200, False, id="200"),
    ],
)
def test_should_retry(method: str, status: int, expected: bool) -> None:
    assert retrying.should_retry(method, status) is expected


@pytest.mark.parametrize("attempt", [0, 1, 2, 3, 10])
def test_backoff_is_jittered_between_half_and_all_of_the_capped_exponential(attempt: int) -> None:
    settings = oci.OciSettings(backoff_base=0.5, backoff_max=4.0)
    ceiling = min(4.0, 0.5 * 2**attempt)
    delays = {retrying.backoff_delay(attempt, settings, random.Random(seed)) for seed in range(50)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1


def test_backoff_never_comes_back_before_retry_after() -> None:
    settings = oci.OciSettings(backoff_base=0.5)
    delays = [retrying.backoff_delay(0, settings, random.Random(s), 3.0) for s in range(50)]
    assert all(3.0 <= d <= 3.5 for d in delays)
