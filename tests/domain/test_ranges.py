"""Range constraints of the `range:` policy: comparators, tilde, caret, wildcards, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headwind import ranges, versions

# constraint, version, matches
MATCHES = [
    (">=1.20 <1.28", "1.20.0", True),
    (">=1.20 <1.28", "1.27.99", True),
    (">=1.20 <1.28", "1.28.0", False),
    (">=1.20 <1.28", "1.19.9", False),
    (">=1.20 <1.28", "1.28.0-rc.1", False),
    (">=1.20, <1.28", "1.25.1", True),
    (">=1.20,<1.28", "1.28", False),
    (">= 1.20 < 1.28", "1.21.0", True),
    (">1.2.3,<=2", "1.2.3", False),
    (">1.2.3,<=2", "1.2.4", True),
    (">1.2.3,<=2", "2.99.0", True),
    (">1.2.3,<=2", "3.0.0", False),
    ("=1.2.3", "1.2.3", True),
    ("=1.2.3", "1.2.3+build.9", True),
    ("=1.2.3", "1.2.4", False),
    ("==1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.3", True),
    ("!=1.2.3", "1.2.3", False),
    ("!=1.2.3", "1.2.4", True),
    ("!=1.2", "1.2.7", False),
    ("!=1.2", "1.3.0", True),
    ("~1.26", "1.26.0", True),
    ("~1.26", "1.26.9", True),
    ("~1.26", "1.27.0", False),
    ("~1.26", "1.25.9", False),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.2.2", False),
    ("~1.2.3", "1.3.0", False),
    ("~1", "1.9.9", True),
    ("~1", "2.0.0", False),
    ("^2", "2.0.0", True),
    ("^2", "2.99.1", True),
    ("^2", "3.0.0", False),
    ("^2", "3.0.0-rc.1", False),
    ("^2", "1.9.9", False),
    ("^1.2.3", "1.9.0", True),
    ("^1.2.3", "1.2.2", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("^0", "0.9.9", True),
    ("^0", "1.0.0", False),
    ("^0.0", "0.0.9", True),
    ("^0.0", "0.1.0", False),
    ("1.2.x", "1.2.0", True),
    ("1.2.x", "1.2.15", True),
    ("1.2.x", "1.3.0", False),
    ("1.2.*", "1.2.4", True),
    ("1.x", "1.99.0", True),
    ("1.x.x", "2.0.0", False),
    ("1.2", "1.2.8", True),
    ("1.2", "1.2.0-rc.1", True),
    ("*", "0.0.1", True),
    ("x", "99.0.0", True),
    ("<*", "1.0.0", False),
    (">1.2", "1.2.9", False),
    (">1.2", "1.3.0", True),
    (">=1.2", "1.2.0-rc.1", True),
    ("<1.28", "1.27.9", True),
    ("<=1.27", "1.27.99", True),
    ("<=1.27", "1.28.0", False),
    ("<1.2.3", "1.2.3-rc.1", True),
    (">=1.2.3-rc.1", "1.2.3-rc.2", True),
    (">=1.2.3-rc.1", "1.2.3-beta.1", False),
    (">=1.2.3-rc2", "1.2.3-rc10", True),
    (">=v1.2", "1.3.0", True),
    ("1.x || >=3", "1.5.0", True),
    ("1.x || >=3", "2.5.0", False),
    ("1.x || >=3", "3.0.1", True),
    (">=1.2.3+build.1", "1.2.3", True),
    (">=1.20 <1.28", "1.27.0-alpine", True),
]


@pytest.mark.parametrize(
    ("constraint", "tag", "expected"),
    MATCHES,
    ids=[f"{c} {'has' if m else 'lacks'} {t}" for c, t, m in MATCHES],
)
def test_constraint_matches(constraint: str, tag: str, expected: bool) -> None:
    version = versions.parse(tag)
    assert version is not None
    assert ranges.parse(constraint).matches(version) is expected


INVALID = [
    ("", "empty range constraint"),
    ("   ", "empty range constraint"),
    (">=", "not followed by a version"),
    (">= <2", "not followed by a version"),
    ("abc", "invalid comparator 'abc'"),
    (">>1", "invalid comparator '>>1'"),
    ("1.2 - 1.4", "invalid comparator '-'"),
    ("1.x.3", "number after a wildcard"),
    ("1.2.3.4.5", "invalid comparator"),
    ("1.2.3-alpine", "names a variant"),
    ("1.x-rc.1", "mixes a wildcard with a prerelease"),
    ("1.2 ||", "empty alternative"),
]


@pytest.mark.parametrize(("constraint", "message"), INVALID, ids=[repr(c) for c, _ in INVALID])
def test_invalid_constraints_say_what_is_wrong(constraint: str, message: str) -> None:
    with pytest.raises(ranges.RangeError, match=message):
        ranges.parse(constraint)


def test_constraint_keeps_its_text() -> None:
    assert str(ranges.parse(">=1.20 <1.28")) == ">=1.20 <1.28"


_part = st.integers(min_value=0, max_value=6)


@settings(max_examples=200)
@given(_part, _part, _part, _part, _part)
def test_tilde_keeps_major_and_minor(major: int, minor: int, x: int, y: int, z: int) -> None:
    version = versions.parse(f"{x}.{y}.{z}")
    assert version is not None
    assert ranges.parse(f"~{major}.{minor}").matches(version) == ((x, y) == (major, minor))


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=6), _part, _part, _part)
def test_caret_keeps_a_nonzero_major(major: int, x: int, y: int, z: int) -> None:
    version = versions.parse(f"{x}.{y}.{z}")
    assert version is not None
    assert ranges.parse(f"^{major}").matches(version) == (x == major)


@settings(max_examples=200)
@given(_part, _part, _part, _part, _part)
def test_partial_comparators_split_versions_in_two(
    major: int, minor: int, x: int, y: int, z: int
) -> None:
    version = versions.parse(f"{x}.{y}.{z}")
    assert version is not None
    below = ranges.parse(f"<{major}.{minor}").matches(version)
    at_least = ranges.parse(f">={major}.{minor}").matches(version)
    at_most = ranges.parse(f"<={major}.{minor}").matches(version)
    above = ranges.parse(f">{major}.{minor}").matches(version)
    assert below != at_least
    assert at_most != above
    assert below == ((x, y) < (major, minor))
    assert above == ((x, y) > (major, minor))
