"""Durations as people write them in annotations and environment variables.

Intervals and timeouts (`headwind.sh/min-update-interval`, `HEADWIND_POLLING_INTERVAL`, …)
accept plain seconds, because the seed project did, and the Go-style durations Kubernetes users
already type every day. One parser keeps every key consistent.

Accepted: `300` (seconds), `90s`, `15m`, `2h`, `1d`, compounds in descending unit
order (`1h30m`, `1d12h`), and decimals (`1.5h`, `0.5s`). Rejected, with a
`DurationError`: empty text, negative values, unknown or upper-case units (`15M` could mean
months), repeated or out-of-order units (`30m1h` is almost always a typo).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "DurationError", "parse", "to_text"]

_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
"""Seconds per unit, in the only order units may appear in."""

_NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
_PLAIN_SECONDS = re.compile(_NUMBER, re.ASCII)
_COMPOUND = re.compile(rf"(?:{_NUMBER}[a-zA-Z]+)+", re.ASCII)
_PART = re.compile(rf"({_NUMBER})([a-zA-Z]+)", re.ASCII)
_MICROSECONDS_PER_SECOND = 1_000_000


class DurationError(ValueError):
    """A text is not a duration Headwind understands."""


def parse(text: str | int | float) -> timedelta:
    """Parse `text` into a non-negative `timedelta`; raise `DurationError` otherwise.

    Numbers (`int`/`float`) are taken as seconds, so values that come from JSON or YAML as
    numbers mean the same as their quoted form.
    """
    if isinstance(text, bool):  # bool is an int; True seconds is surely a mistake
        raise DurationError(f"{text!r} is not a duration")
    if isinstance(text, int | float):
        if not math.isfinite(text) or text < 0:
            raise DurationError(f"duration {text!r} is negative or not finite")
        return _from_seconds(repr(text), Decimal(str(text)))
    stripped = text.strip()
    if not stripped:
        raise DurationError("duration is empty")
    if stripped.startswith("-"):
        raise DurationError(f"duration {text!r} is negative")
    if _PLAIN_SECONDS.fullmatch(stripped):
        return _from_seconds(text, Decimal(stripped))
    if not _COMPOUND.fullmatch(stripped):
        raise DurationError(
            f"{text!r} is not a duration: use seconds (300) or amounts with units "
            "d, h, m, s (90s, 15m, 2h, 1d, 1h30m)"
        )
    total = Decimal(0)
    previous_rank = -1
    for number, unit in _PART.findall(stripped):
        if unit not in _UNIT_SECONDS:
            raise DurationError(f"duration {text!r}: unknown unit {unit!r} (use d, h, m or s)")
        rank = list(_UNIT_SECONDS).index(unit)
        if rank <= previous_rank:
            raise DurationError(
                f"duration {text!r}: units must appear once each, largest first (d, h, m, s)"
            )
        previous_rank = rank
        total += Decimal(number) * _UNIT_SECONDS[unit]
    return _from_seconds(text, total)


def to_text(duration: timedelta) -> str:
    """The shortest text `parse` reads back as `duration` (`5400s` → `1h30m`)."""
    if duration < timedelta(0):
        raise DurationError(f"{duration!r} is negative")
    microseconds = (
        duration.days * 86_400 + duration.seconds
    ) * _MICROSECONDS_PER_SECOND + duration.microseconds
    seconds, fraction = divmod(microseconds, _MICROSECONDS_PER_SECOND)
    if seconds == 0 and fraction == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _UNIT_SECONDS.items():
        amount, seconds = divmod(seconds, size)
        if unit == "s" and fraction:
            parts.append(f"{amount}.{fraction:06d}".rstrip("0") + "s")
        elif amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def _from_seconds(text: str, seconds: Decimal) -> timedelta:
    try:
        microseconds = int(seconds * _MICROSECONDS_PER_SECOND)
        return timedelta(microseconds=microseconds)
    except (OverflowError, InvalidOperation) as error:
        raise DurationError(f"duration {text!r} is too long") from error


def _validate(value: Any) -> Any:
    # Leave timedelta (and anything else) to pydantic; only texts and numbers are ours.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return parse(value)
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_validate),
    PlainSerializer(to_text, return_type=str, when_used="json"),
]
"""A pydantic field type that reads `300`, `"15m"` or `"1h30m"` and writes `"15m"`."""
