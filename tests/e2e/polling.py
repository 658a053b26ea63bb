"""Waiting for an eventually-true observation, instead of sleeping a fixed time.

Controllers, kwok stages and Temporal visibility all converge asynchronously; `wait_for` polls
an observation until a predicate holds and, on timeout, fails with the last observation so the
test output says what the cluster looked like.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

__all__ = ["wait_for", "wait_for_async"]


def wait_for(
    observe: Callable[[], T],
    until: Callable[[T], bool],
    *,
    what: str,
    timeout: float = 60.0,
    interval: float = 0.25,
) -> T:
    """Returns the first observation for which `until` is true; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        observed = observe()
        if until(observed):
            return observed
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what}; last: {observed!r}"
            )
        time.sleep(interval)


async def wait_for_async(
    observe: Callable[[], Awaitable[T]],
    until: Callable[[T], bool],
    *,
    what: str,
    timeout: float = 30.0,
    interval: float = 0.25,
) -> T:
    """`wait_for` for async observations (Temporal visibility)."""
    deadline = time.monotonic() + timeout
    while True:
        observed = await observe()
        if until(observed):
            return observed
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what}; last: {observed!r}"
            )
        await asyncio.sleep(interval)
