"""Range constraints for the `range:<constraint>` policy, matched with the `semver` package.

Users write constraints the way npm and Helm taught them: comparators joined by spaces or commas
(`>=1.20 <1.28`, `>1.2.3,<=2`), `~1.26` and `^2`, wildcards (`1.2.x`, `1.*`, `*`), and
alternatives joined by `||`. Each comparator is expanded to plain `semver` match expressions
(`>=1.26.0`, `<1.27.0-0`) so that `semver.Version.match` does the comparing.

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

A full version (`1.2.3`, `1.2.3-rc.1`) is an exact point. `~1.2.3` is `>=1.2.3 <1.3.0-0`;
`^1.2.3` is `>=1.2.3 <2.0.0-0`, `^0.2.3` is `>=0.2.3 <0.3.0-0`, `^0.0.3` is `>=0.0.3 <0.0.4-0`.
An optional `v` before the version is ignored; build metadata is ignored.

Constraints never decide prerelease admission on their own: the policy's prerelease rule has
already filtered candidates when a constraint is consulted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headwind import versions

__all__ = ["Comparator", "Constraint", "RangeError", "parse"]


class RangeError(ValueError):
    """A constraint that cannot be read; the message says which comparator and why."""


_OPERATOR = re.compile(r"(?:>=|<=|==|!=|=|>|<|~|\^)")
_COMPARATOR = re.compile(
    r"(?P<operator>>=|<=|==|!=|=|>|<|~|\^)?\s*[vV]?"
    r"(?P<parts>(?:[0-9]+|[xX*])(?:\.(?:[0-9]+|[xX*])){0,2})"
    r"(?:-(?P<prerelease>[0-9A-Za-z][0-9A-Za-z.-]*))?"
    r"(?:\+[0-9A-Za-z.-]+)?"
)
_WILDCARDS = frozenset({"x", "X", "*"})

_EXAMPLES = "for example '>=1.20 <1.28', '~1.26', '^2' or '1.2.x'"


@dataclass(frozen=True)
class Comparator:
    """One comparator as written, with the `semver` match expressions it stands for."""

    text: str
    all_of: tuple[str, ...]
    """`semver` match expressions that must all hold (empty: anything matches)."""
    negated: bool = False
    """True for `!=` on a partial version: the version must fall outside `all_of`."""

    def matches(self, version: versions.Version) -> bool:
        inside = all(version.as_semver.match(expression) for expression in self.all_of)
        return inside != self.negated


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: any alternative whose comparators all hold."""

    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    def matches(self, version: versions.Version) -> bool:
        """Whether the version's precedence satisfies the constraint (variant is ignored)."""
        return any(
            all(comparator.matches(version) for comparator in alternative)
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
    operator = matched["operator"] or "="
    written = matched["parts"].split(".")
    given = _given_parts(written, token)
    prerelease = matched["prerelease"]
    if prerelease is not None:
        prerelease, variant = versions.split_suffix(prerelease)
        if variant is not None:
            raise RangeError(
                f"comparator {token!r} names a variant ({variant!r}); a range compares versions,"
                " the variant must match the current tag's anyway"
            )

    if prerelease is not None or len(given) == 3:
        if prerelease is not None and len(given) < len(written):
            raise RangeError(f"comparator {token!r} mixes a wildcard with a prerelease")
        point = _semver_text((*given, 0, 0)[:3], versions.normalise_prerelease(prerelease))
        return _point(token, operator, point, given)
    return _family(token, operator, given)


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


def _point(token: str, operator: str, point: str, given: tuple[int, ...]) -> Comparator:
    if operator == "~":
        upper = _bump(given[:2] if len(given) >= 2 else given)
        return Comparator(token, (f">={point}", f"<{upper}"))
    if operator == "^":
        return Comparator(token, (f">={point}", f"<{_bump(_caret_prefix(given))}"))
    semver_operator = "==" if operator == "=" else operator
    return Comparator(token, (f"{semver_operator}{point}",))


def _family(token: str, operator: str, given: tuple[int, ...]) -> Comparator:
    """A comparator on a partial version: the interval of every version starting with it."""
    if not given:
        # `*`, `x`: every version is inside; `<*`, `>*` and `!=*` leave nothing.
        return Comparator(token, (), negated=operator in {"<", ">", "!="})
    lower = _semver_text((*given, 0, 0)[:3], "0")
    if operator == "^":
        return Comparator(token, (f">={lower}", f"<{_bump(_caret_prefix(given))}"))
    upper = _bump(given)
    expansions: dict[str, tuple[tuple[str, ...], bool]] = {
        "=": ((f">={lower}", f"<{upper}"), False),
        "==": ((f">={lower}", f"<{upper}"), False),
        "~": ((f">={lower}", f"<{upper}"), False),
        "!=": ((f">={lower}", f"<{upper}"), True),
        ">=": ((f">={lower}",), False),
        ">": ((f">={upper}",), False),
        "<": ((f"<{lower}",), False),
        "<=": ((f"<{upper}",), False),
    }
    all_of, negated = expansions[operator]
    return Comparator(token, all_of, negated)


def _caret_prefix(given: tuple[int, ...]) -> tuple[int, ...]:
    """The parts `^` keeps fixed: up to the first non-zero one (`^0.2.3` keeps `0.2`)."""
    for index, part in enumerate(given):
        if part != 0:
            return given[: index + 1]
    return given


def _bump(fixed: tuple[int, ...]) -> str:
    """The lowest version above every version that starts with `fixed`."""
    bumped = (*fixed[:-1], fixed[-1] + 1, 0, 0)[:3]
    return _semver_text(bumped, "0")


def _semver_text(release: tuple[int, ...], prerelease: str | None) -> str:
    text = ".".join(str(part) for part in release)
    return f"{text}-{prerelease}" if prerelease else text
