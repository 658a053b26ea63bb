"""Range constraints for the `range:<constraint>` policy.

Users write constraints the way npm and Helm taught them: comparators joined by spaces or commas
(`>=1.20 <1.28`, `>1.2.3,<=2`), `~1.26` and `^2`, wildcards (`1.2.x`, `1.*`, `*`), and
alternatives joined by `||`. Each comparator is expanded to plain bounds (`>=1.26.0`,
`<1.27.0-0`) on the precedence of `versions` (the one order every policy uses), so that a range
agrees with "newer" about four-part versions and prerelease counters, and checking a bound is a
tuple comparison.

A **partial** version (`1.26`, `1.x`, `2`) stands for the whole family of versions that start
with it, prereleases included: `1.26` is the interval `[1.26.0-0, 1.27.0-0)`, where `-0` is the
lowest prerelease SemVer allows. Each operator then reads naturally on that interval, which is
what npm does for `<=1.27` and `>1.2` (and what a plain zero-padding would get wrong):

| written | means |
|---|---|
| `1.26`, `=1.26`, `1.26.x`, `~1.26` | `>=1.26.0-0 <1.27.0-0` |
| `!=1.26` | outside that interval |
| `>=1.26` | `>=1.26.0-0` |
| `>1.26` | `>=1.27.0-0` |
| `<1.28` | `<1.28.0-0` (no 1.28 prereleases either) |
| `<=1.27` | `<1.28.0-0` |

A full version (`1.2.3`, `21.0.2.13`, `1.2.3-rc.1`) is an exact point. `~1.2.3` is
`>=1.2.3 <1.3.0-0`; `^1.2.3` is `>=1.2.3 <2.0.0-0`, `^0.2.3` is `>=0.2.3 <0.3.0-0`, `^0.0.3` is
`>=0.0.3 <0.0.4-0`. An optional `v` before the version is ignored; build metadata is ignored.
A revision (`-r5`, `-ls30`) never counts: `1.2.3-r5` is `=1.2.3`, since a range speaks of
versions and a rebuild is the same version.

Constraints never decide prerelease admission on their own: the policy's prerelease rule has
already filtered candidates when a constraint is consulted.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from headwind import versions

__all__ = ["Bound", "Comparator", "Constraint", "RangeError", "parse"]


class RangeError(ValueError):
    """A constraint that cannot be read; the message says which comparator and why."""


_OPERATOR = re.compile(r"(?:>=|<=|==|!=|=|>|<|~|\^)")
_COMPARATOR = re.compile(
    r"(?P<operator>>=|<=|==|!=|=|>|<|~|\^)?\s*[vV]?"
    r"(?P<parts>(?:[0-9]+|[xX*])(?:\.(?:[0-9]+|[xX*])){0,3})"
    r"(?:-(?P<prerelease>[0-9A-Za-z][0-9A-Za-z.-]*))?"
    r"(?:\+[0-9A-Za-z.-]+)?"
)
_WILDCARDS = frozenset({"x", "X", "*"})
_FULL = 3
"""Given parts from which a comparator names one version rather than a family."""

_EXAMPLES = "for example '>=1.20 <1.28', '~1.26', '^2' or '1.2.x'"

_Key = tuple[tuple[int, ...], int, tuple[versions.Identifier, ...]]
"""Precedence without the revision: what a bound is compared with."""

_TESTS: dict[str, Callable[[_Key, _Key], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
}


@dataclass(frozen=True)
class Bound:
    """One plain comparison with a version: `>=1.26.0-0`."""

    operator: str
    """`>=`, `>`, `<`, `<=` or `=`."""
    key: _Key

    def holds(self, key: _Key) -> bool:
        return _TESTS[self.operator](key, self.key)


@dataclass(frozen=True)
class Comparator:
    """One comparator as written, with the bounds it stands for."""

    text: str
    all_of: tuple[Bound, ...]
    """Bounds that must all hold (empty: anything matches)."""
    negated: bool = False
    """True for `!=`: the version must fall outside `all_of`."""

    def matches(self, key: _Key) -> bool:
        inside = all(bound.holds(key) for bound in self.all_of)
        return inside != self.negated


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: any alternative whose comparators all hold."""

    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    def matches(self, version: versions.Version) -> bool:
        """Whether the version's precedence satisfies the constraint (variant and revision are
        ignored)."""
        key = version.precedence[:3]
        return any(
            all(comparator.matches(key) for comparator in alternative)
            for alternative in self.alternatives
        )

    def __str__(self) -> str:
        return self.text


def parse(text: str) -> Constraint:
    """Read a constraint, raising RangeError with a message a user can act on."""
    if not text.strip():
        raise RangeError(f"empty range constraint; write comparators, {_EXAMPLES}")
    alternatives = []
    for alternative in text.split("||"):
        tokens = _tokens(alternative)
        if not tokens:
            raise RangeError(f"empty alternative around '||' in range constraint {text!r}")
        alternatives.append(tuple(_comparator(token) for token in tokens))
    return Constraint(text=text, alternatives=tuple(alternatives))


def _tokens(alternative: str) -> list[str]:
    # Spaces and commas both join comparators, but `>= 1.20` is one comparator: an operator
    # standing alone is glued to the version that follows it.
    tokens: list[str] = []
    pending = ""
    for word in alternative.replace(",", " ").split():
        if pending and _OPERATOR.match(word):
            raise RangeError(f"operator {pending!r} is not followed by a version")
        if _OPERATOR.fullmatch(word):
            pending = word
            continue
        tokens.append(pending + word)
        pending = ""
    if pending:
        raise RangeError(f"operator {pending!r} is not followed by a version")
    return tokens


def _comparator(token: str) -> Comparator:
    matched = _COMPARATOR.fullmatch(token)
    if matched is None:
        raise RangeError(f"invalid comparator {token!r} in range constraint; {_EXAMPLES}")
    operator_text = matched["operator"] or "="
    written = matched["parts"].split(".")
    given = _given_parts(written, token)
    prerelease = matched["prerelease"]
    if prerelease is not None:
        suffix = versions.split_suffix(prerelease)
        if suffix.variant is not None or suffix.revision is not None:
            named = (
                f"a variant ({suffix.variant!r})"
                if suffix.variant is not None
                else f"a revision ({suffix.revision!r})"
            )
            raise RangeError(
                f"comparator {token!r} names {named}; a range compares versions,"
                " the variant and revision kind must match the current tag's anyway"
            )
        prerelease = suffix.prerelease

    if prerelease is not None or len(given) >= _FULL:
        if prerelease is not None and len(given) < len(written):
            raise RangeError(f"comparator {token!r} mixes a wildcard with a prerelease")
        return _point(token, operator_text, _key(given, prerelease), given)
    return _family(token, operator_text, given)


def _given_parts(written: list[str], token: str) -> tuple[int, ...]:
    """The numeric parts before the first wildcard; a number after a wildcard is an error."""
    given: list[int] = []
    for index, part in enumerate(written):
        if part in _WILDCARDS:
            if any(later not in _WILDCARDS for later in written[index + 1 :]):
                raise RangeError(f"comparator {token!r} has a number after a wildcard")
            break
        given.append(int(part))
    return tuple(given)


def _point(token: str, operator_text: str, point: _Key, given: tuple[int, ...]) -> Comparator:
    if operator_text == "~":
        upper = _bump(given[:2] if len(given) >= 2 else given)
        return Comparator(token, (Bound(">=", point), Bound("<", upper)))
    if operator_text == "^":
        return Comparator(token, (Bound(">=", point), Bound("<", _bump(_caret_prefix(given)))))
    if operator_text == "!=":
        return Comparator(token, (Bound("=", point),), negated=True)
    return Comparator(token, (Bound("=" if operator_text == "==" else operator_text, point),))


def _family(token: str, operator_text: str, given: tuple[int, ...]) -> Comparator:
    """A comparator on a partial version: the interval of every version starting with it."""
    if not given:
        # `*`, `x`: every version is inside; `<*`, `>*` and `!=*` leave nothing.
        return Comparator(token, (), negated=operator_text in {"<", ">", "!="})
    lower = _key(given, "0")
    if operator_text == "^":
        return Comparator(token, (Bound(">=", lower), Bound("<", _bump(_caret_prefix(given)))))
    upper = _bump(given)
    interval = (Bound(">=", lower), Bound("<", upper))
    expansions: dict[str, tuple[tuple[Bound, ...], bool]] = {
        "=": (interval, False),
        "==": (interval, False),
        "~": (interval, False),
        "!=": (interval, True),
        ">=": ((Bound(">=", lower),), False),
        ">": ((Bound(">=", upper),), False),
        "<": ((Bound("<", lower),), False),
        "<=": ((Bound("<", upper),), False),
    }
    all_of, negated = expansions[operator_text]
    return Comparator(token, all_of, negated)


def _caret_prefix(given: tuple[int, ...]) -> tuple[int, ...]:
    """The parts `^` keeps fixed: up to the first non-zero one (`^0.2.3` keeps `0.2`)."""
    for index, part in enumerate(given):
        if part != 0:
            return given[: index + 1]
    return given


def _bump(fixed: tuple[int, ...]) -> _Key:
    """The lowest version above every version that starts with `fixed`: its `-0` prerelease,
    the lowest one there is."""
    return _key((*fixed[:-1], fixed[-1] + 1), "0")


def _key(parts: tuple[int, ...], prerelease: str | None) -> _Key:
    return versions.precedence_of(parts, prerelease)[:3]
