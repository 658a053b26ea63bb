"""Tags as versions: the grammar, suffix classification and the orders."""

from __future__ import annotations

import itertools

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

from headwind import versions

# tag, prefix, parts, prerelease, variant, build
PARSED = [
    ("1.2.3", "", (1, 2, 3), None, None, None),
    ("v1.2.3", "v", (1, 2, 3), None, None, None),
    ("V1.2.3", "V", (1, 2, 3), None, None, None),
    ("1.25", "", (1, 25), None, None, None),
    ("20", "", (20,), None, None, None),
    ("v2", "v", (2,), None, None, None),
    ("2024.01.15", "", (2024, 1, 15), None, None, None),
    ("1.2.3-rc.1", "", (1, 2, 3), "rc.1", None, None),
    ("1.2.3-rc1", "", (1, 2, 3), "rc1", None, None),
    ("1.2.3-rc-1", "", (1, 2, 3), "rc-1", None, None),
    ("1.2.3-rc", "", (1, 2, 3), "rc", None, None),
    ("1.2.3-beta.2", "", (1, 2, 3), "beta.2", None, None),
    ("1.0.0-alpha.beta", "", (1, 0, 0), "alpha.beta", None, None),
    ("1.0-SNAPSHOT", "", (1, 0), "SNAPSHOT", None, None),
    ("1.2.3-dev-20240101.1", "", (1, 2, 3), "dev-20240101.1", None, None),
    ("1.2.3-preview", "", (1, 2, 3), "preview", None, None),
    ("1.2.3-alpine", "", (1, 2, 3), None, "alpine", None),
    ("1.2.3-slim-bookworm", "", (1, 2, 3), None, "slim-bookworm", None),
    ("1.2.3-debian-12", "", (1, 2, 3), None, "debian-12", None),
    ("20.11.0-alpine3.19", "", (20, 11, 0), None, "alpine3.19", None),
    ("1.2.3-rc.1-alpine", "", (1, 2, 3), "rc.1", "alpine", None),
    ("1.2.3-rc-1-alpine", "", (1, 2, 3), "rc-1", "alpine", None),
    ("1.2.3-beta2-slim-bookworm", "", (1, 2, 3), "beta2", "slim-bookworm", None),
    ("1.2.3-rc-alpine", "", (1, 2, 3), "rc", "alpine", None),
    ("1.2.3-alpine-rc.1", "", (1, 2, 3), None, "alpine-rc.1", None),
    ("12.2.0-devel-ubuntu22.04", "", (12, 2, 0), None, "devel-ubuntu22.04", None),
    ("1.2.3-nextgen", "", (1, 2, 3), None, "nextgen", None),
    ("1.2.3-prerelease", "", (1, 2, 3), "prerelease", None, None),
    ("1.25.3-debian-11-r0", "", (1, 25, 3), None, "debian-11", None),
    ("1.2.3-1", "", (1, 2, 3), None, None, None),
    ("1.2.3+build.5", "", (1, 2, 3), None, None, "build.5"),
    ("1.2.3-rc.1+exp.sha.5114f85", "", (1, 2, 3), "rc.1", None, "exp.sha.5114f85"),
]


@pytest.mark.parametrize(
    ("tag", "prefix", "parts", "prerelease", "variant", "build"), PARSED, ids=[p[0] for p in PARSED]
)
def test_parse_takes_a_version_apart(
    tag: str,
    prefix: str,
    parts: tuple[int, ...],
    prerelease: str | None,
    variant: str | None,
    build: str | None,
) -> None:
    version = versions.parse(tag)
    assert version is not None
    assert (version.prefix, version.parts, version.prerelease, version.variant, version.build) == (
        prefix,
        parts,
        prerelease,
        variant,
        build,
    )
    assert version.text == tag
    assert version.shape == len(parts)
    assert version.is_prerelease == (prerelease is not None)


NOT_VERSIONS = [
    "latest",
    "main",
    "sha-1a2b3c",
    "stable",
    "1.2.3.4.5",
    "1.2.3-",
    "1.2.3-.rc",
    "v",
    "vv1.2.3",
    "1..2",
    ".1.2",
    "1.2.",
    "3.13.0rc2",
    "1.2.3+",
    "",
    "x1.2.3",
]


@pytest.mark.parametrize("tag", NOT_VERSIONS, ids=[repr(tag) for tag in NOT_VERSIONS])
def test_parse_refuses_what_is_not_a_version(tag: str) -> None:
    assert versions.parse(tag) is None


def test_release_pads_missing_parts_with_zeros_but_keeps_the_shape() -> None:
    version = versions.parse("1.25")
    assert version is not None
    assert version.release == (1, 25, 0)
    assert (version.major, version.minor, version.patch) == (1, 25, 0)
    assert version.shape == 2


# Each list is strictly ascending in precedence.
ASCENDING = {
    "semver-spec-example": [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ],
    "numeric-aware-dotted": ["1.0.0-rc.1", "1.0.0-rc.2", "1.0.0-rc.9", "1.0.0-rc.10"],
    "numeric-aware-glued": ["1.0.0-rc1", "1.0.0-rc2", "1.0.0-rc10", "1.0.0-rc11"],
    "numeric-parts": ["1.9.0", "1.10.0", "1.10.1", "2.0.0", "10.0.0"],
    "final-above-prerelease": ["2.0.0-rc.99", "2.0.0"],
    "prerelease-above-previous-final": ["1.9.9", "2.0.0-alpha"],
    "two-part": ["1.25", "1.26", "1.100"],
    "huge-numbers": ["20240101", "20240102", "202401011200"],
    "case-does-not-reorder-words": ["1.0.0-ALPHA", "1.0.0-beta", "1.0.0-RC.1"],
}


@pytest.mark.parametrize("tags", ASCENDING.values(), ids=ASCENDING.keys())
def test_precedence_orders_versions(tags: list[str]) -> None:
    parsed = [versions.parse(tag) for tag in tags]
    for lower, higher in itertools.pairwise(parsed):
        assert lower is not None
        assert higher is not None
        assert higher.is_newer_than(lower), (higher.text, lower.text)
        assert not lower.is_newer_than(higher)
        assert lower < higher


EQUAL_PRECEDENCE = [
    ("1.2.3", "1.2.3+build.7"),
    ("1.2.3", "v1.2.3"),
    ("1.2.3", "1.2.3-alpine"),
    ("1.25", "1.25.0"),
    ("1.2.3-rc.1", "1.2.3-rc1"),
    ("1.2.3-rc.1", "1.2.3-rc-1"),
    ("1.2.3-rc.1", "1.2.3-RC.01"),
    ("01.2.3", "1.2.3"),
]


@pytest.mark.parametrize(
    ("left", "right"), EQUAL_PRECEDENCE, ids=[f"{a}=={b}" for a, b in EQUAL_PRECEDENCE]
)
def test_prefix_variant_build_and_spelling_do_not_order(left: str, right: str) -> None:
    left_version, right_version = versions.parse(left), versions.parse(right)
    assert left_version is not None
    assert right_version is not None
    assert left_version.compare(right_version) == 0
    # ...but the total order still tells them apart, by text.
    assert (left_version < right_version) != (right_version < left_version)


NORMALISED = [
    ("rc.1", "rc.1"),
    ("rc1", "rc.1"),
    ("rc-1", "rc.1"),
    ("RC01", "rc.1"),
    ("beta.2.exp", "beta.2.exp"),
    ("dev-20240101.1", "dev.20240101.1"),
    ("SNAPSHOT", "snapshot"),
]


@pytest.mark.parametrize(("written", "normalised"), NORMALISED, ids=[w for w, _ in NORMALISED])
def test_prerelease_is_normalised_for_semver(written: str, normalised: str) -> None:
    assert versions.normalise_prerelease(written) == normalised


NATURAL = [
    ("build-9", "build-10"),
    ("build-10", "build-100"),
    ("a", "b"),
    ("2024-01-09", "2024-01-10"),
    ("release-1.9", "release-1.10"),
    ("1.0.0", "latest"),
]


@pytest.mark.parametrize(("lower", "higher"), NATURAL, ids=[f"{a}<{b}" for a, b in NATURAL])
def test_natural_order_compares_digit_runs_as_numbers(lower: str, higher: str) -> None:
    assert versions.natural_key(lower) < versions.natural_key(higher)


def test_natural_order_ignores_leading_zeros() -> None:
    assert versions.natural_key("build-07") == versions.natural_key("build-7")


def test_tag_order_lists_versions_first_then_other_tags_naturally() -> None:
    tags = ["latest", "build-10", "1.10.0", "v1.2.0", "1.9.0", "build-9", "1.10.0-rc.1"]
    assert sorted(tags, key=versions.tag_sort_key) == [
        "v1.2.0",
        "1.9.0",
        "1.10.0-rc.1",
        "1.10.0",
        "build-9",
        "build-10",
        "latest",
    ]


# Generated versions are drawn from a small space so that equal precedences and shared
# prefixes are common: that is where ordering bugs live.
_words = st.sampled_from(["alpha", "beta", "rc", "RC", "dev", "snapshot"])
_numbers = st.integers(min_value=0, max_value=12)
_prerelease = st.one_of(
    st.none(),
    _words,
    st.builds(lambda w, n, sep: f"{w}{sep}{n}", _words, _numbers, st.sampled_from(["", ".", "-"])),
)
_variant = st.sampled_from([None, "alpine", "slim-bookworm"])


@st.composite
def version_tags(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "v"]))
    parts = draw(st.lists(_numbers, min_size=1, max_size=3))
    suffix = [part for part in (draw(_prerelease), draw(_variant)) if part]
    build = draw(st.sampled_from(["", "+b1", "+b2"]))
    text = prefix + ".".join(map(str, parts))
    return text + ("-" + "-".join(suffix) if suffix else "") + build


def _parse(tag: str) -> versions.Version:
    version = versions.parse(tag)
    assert version is not None, tag
    return version


@settings(max_examples=200)
@given(version_tags(), version_tags())
def test_total_order_is_antisymmetric(left: str, right: str) -> None:
    a, b = _parse(left), _parse(right)
    assert (a < b) + (a == b) + (a > b) == 1
    assert (a <= b and b <= a) == (a == b)


@settings(max_examples=200)
@given(version_tags(), version_tags(), version_tags())
def test_total_order_is_transitive(first: str, second: str, third: str) -> None:
    a, b, c = sorted([_parse(first), _parse(second), _parse(third)])
    assert a <= b <= c
    assert a <= c
    assert a.compare(c) <= 0


@settings(max_examples=200)
@given(version_tags(), version_tags())
def test_precedence_is_consistent_with_the_total_order(left: str, right: str) -> None:
    a, b = _parse(left), _parse(right)
    assert a.compare(b) == -b.compare(a)
    if a.compare(b) < 0:
        assert a < b


@settings(max_examples=200)
@given(version_tags())
def test_every_generated_tag_round_trips(tag: str) -> None:
    version = _parse(tag)
    assert version.text == tag
    assert str(version) == tag


@settings(max_examples=200)
@given(_numbers, _numbers, st.sampled_from(["rc.", "rc", "beta-", "alpha"]))
def test_prerelease_numbers_order_numerically(first: int, second: int, word: str) -> None:
    a, b = _parse(f"1.0.0-{word}{first}"), _parse(f"1.0.0-{word}{second}")
    assert (a.compare(b) > 0) == (first > second)


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_natural_order_follows_the_build_number(first: int, second: int) -> None:
    assert (versions.natural_key(f"build-{first}") < versions.natural_key(f"build-{second}")) == (
        first < second
    )


@settings(max_examples=300)
@given(version_tags(), version_tags())
def test_precedence_agrees_with_the_semver_package(left: str, right: str) -> None:
    """Up to three parts and without revisions, precedence is SemVer's (on the normalised
    prerelease), so the `semver` package is the reference for the hand-written key."""
    a, b = _parse(left), _parse(right)

    def reference(version: versions.Version) -> semver.Version:
        major, minor, patch = version.release
        prerelease = versions.normalise_prerelease(version.prerelease)
        return semver.Version(major, minor, patch, prerelease=prerelease)

    assert a.compare(b) == reference(a).compare(reference(b))
