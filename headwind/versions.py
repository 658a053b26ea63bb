"""What a tag means as a version, and how tags are ordered.

Every path that compares tags (webhooks, polling, Helm charts, the CLI, the API's "why not
updated") goes through this module, so that `1.25` never means one thing to the poller and
another to the approval page. SPEC §4 defines the grammar: an optional `v`/`V` prefix, one to
three dot-separated numeric parts, an optional `-suffix` and optional `+build` metadata.

The suffix is split into a **prerelease** and a **variant**, because they play opposite roles:
a prerelease is an earlier stage of the *same* release (`1.3.0-rc.1` comes before `1.3.0`) while
a variant is a different flavour of the image (`1.3.0-alpine`) that a workload must never be
switched to silently. The rule, read from the left:

- a suffix that starts with a prerelease word (`alpha`, `beta`, `rc`, …) as a whole word —
  followed by nothing, digits, `.identifier`s or `-digits` — is a prerelease: `rc`, `rc1`,
  `rc.1`, `rc-1`, `beta.2`, `alpha.beta`, `dev-20240101`;
- whatever follows the prerelease after a `-` is its variant: `rc.1-alpine` is prerelease
  `rc.1` of variant `alpine`;
- any other suffix is entirely a variant: `alpine`, `slim-bookworm`, `debian-12`, and also
  `alpine-rc.1` (the suffix does not *start* with a prerelease word), `devel-ubuntu22.04` and
  `prerelease` (not whole words). Reading these as variants is the safe side: a variant must
  match the current tag's exactly, so an odd tag is never proposed by accident.

Precedence follows SemVer 2.0 through the `semver` package, on a normalised form: missing
numeric parts count as 0 (`1.25` ranks like `1.25.0`, but keeps its shape), prerelease
identifiers are lower-cased and split between letters and digits so that `rc10 > rc2` as well as
`rc.10 > rc.2`, a final release ranks above its prereleases, and neither prefix, variant nor
build metadata orders. Two different tags can therefore have equal precedence (`1.2.3`,
`1.2.3+b7`, `v1.2.3`); the total order used for sorting breaks such ties by the tag text, so
every sort is deterministic.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import semver

__all__ = [
    "PRERELEASE_WORDS",
    "NaturalKey",
    "Version",
    "compare_tags",
    "natural_key",
    "parse",
    "tag_sort_key",
]

PRERELEASE_WORDS: tuple[str, ...] = (
    "alpha",
    "beta",
    "rc",
    "pre",
    "preview",
    "dev",
    "snapshot",
    "canary",
    "nightly",
    "next",
    "experimental",
)
"""Words that make a suffix a prerelease when the suffix starts with one of them (any case)."""

_VERSION = re.compile(
    r"(?P<prefix>[vV]?)"
    r"(?P<release>[0-9]+(?:\.[0-9]+){0,2})"
    r"(?:-(?P<suffix>[0-9A-Za-z][0-9A-Za-z._-]*))?"
    r"(?:\+(?P<build>[0-9A-Za-z][0-9A-Za-z.-]*))?"
)

# The lookahead keeps whole words only: `devel` and `nextgen` are variants, not `dev`/`next`.
# After the word, `.identifier`s continue the prerelease (`alpha.beta`, `rc.1`) but a hyphen
# does only before a number (`rc-1`); `-anything-else` starts the variant.
_PRERELEASE = re.compile(
    rf"(?P<prerelease>(?:{'|'.join(PRERELEASE_WORDS)})(?![A-Za-z])[0-9]*"
    r"(?:\.[0-9A-Za-z]+|-[0-9]+)*)"
    r"(?:-(?P<variant>.+))?",
    re.IGNORECASE,
)

_IDENTIFIER_PIECES = re.compile(r"[0-9]+|[a-z]+")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Version:
    """A tag that is a version, taken apart; see the module docstring for the grammar.

    Equality is equality of the tag text. `<` and friends are a total order: precedence first,
    then the tag text to break ties. Use `compare` for precedence alone ("is it newer?").
    """

    text: str
    """The tag exactly as written."""
    prefix: str
    """`""`, `"v"` or `"V"`: the prefix style, which candidates must share."""
    parts: tuple[int, ...]
    """The 1 to 3 numeric parts as written (`1.25` is `(1, 25)`)."""
    prerelease: str | None
    """The prerelease part of the suffix as written (`rc.1`), or None for a final release."""
    variant: str | None
    """The variant part of the suffix as written (`alpine`), or None."""
    build: str | None
    """Build metadata after `+`, which never orders."""

    @property
    def shape(self) -> int:
        """How many numeric parts the tag has; `1.25` moves to `1.26`, not to `1.26.3`."""
        return len(self.parts)

    @property
    def release(self) -> tuple[int, int, int]:
        """The numeric parts padded with zeros to major, minor, patch."""
        padded = (*self.parts, 0, 0)
        return (padded[0], padded[1], padded[2])

    @property
    def major(self) -> int:
        return self.release[0]

    @property
    def minor(self) -> int:
        return self.release[1]

    @property
    def patch(self) -> int:
        return self.release[2]

    @property
    def is_prerelease(self) -> bool:
        return self.prerelease is not None

    @functools.cached_property
    def as_semver(self) -> semver.Version:
        """The normalised SemVer form that carries the precedence (no variant, no build)."""
        major, minor, patch = self.release
        return semver.Version(major, minor, patch, prerelease=normalise_prerelease(self.prerelease))

    def compare(self, other: Version) -> int:
        """Precedence only: negative, zero or positive, like `semver.Version.compare`."""
        return self.as_semver.compare(other.as_semver)

    def is_newer_than(self, other: Version) -> bool:
        return self.compare(other) > 0

    def _total(self, other: Version) -> int:
        by_precedence = self.compare(other)
        if by_precedence:
            return by_precedence
        return (self.text > other.text) - (self.text < other.text)

    def __lt__(self, other: Version) -> bool:
        return self._total(other) < 0

    def __le__(self, other: Version) -> bool:
        return self._total(other) <= 0

    def __gt__(self, other: Version) -> bool:
        return self._total(other) > 0

    def __ge__(self, other: Version) -> bool:
        return self._total(other) >= 0

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=8192)
def parse(tag: str) -> Version | None:
    """The tag as a Version, or None when it is not one (`latest`, `sha-1a2b`, `1.2.3.4`).

    Cached: sorting and choosing compare the same tags many times, and a repository's tag list
    is judged again on every poll. Versions are immutable, so sharing them is safe.
    """
    matched = _VERSION.fullmatch(tag)
    if matched is None:
        return None
    prerelease, variant = split_suffix(matched["suffix"])
    return Version(
        text=tag,
        prefix=matched["prefix"],
        parts=tuple(int(part) for part in matched["release"].split(".")),
        prerelease=prerelease,
        variant=variant,
        build=matched["build"],
    )


def split_suffix(suffix: str | None) -> tuple[str | None, str | None]:
    """Split a suffix into (prerelease, variant); either may be None."""
    if not suffix:
        return None, None
    matched = _PRERELEASE.fullmatch(suffix)
    if matched is None:
        return None, suffix
    return matched["prerelease"], matched["variant"]


def normalise_prerelease(prerelease: str | None) -> str | None:
    """The SemVer prerelease that orders like the user expects.

    `RC1`, `rc.1` and `rc-1` all become `rc.1`, so numeric parts compare as numbers
    (`rc10 > rc2`) and case does not reorder words (ASCII would put `RC` before `alpha`).
    Leading zeros are dropped because SemVer numeric identifiers cannot carry them.
    """
    if prerelease is None:
        return None
    pieces = _IDENTIFIER_PIECES.findall(prerelease.lower())
    return ".".join(str(int(piece)) if piece.isdigit() else piece for piece in pieces)


NaturalKey = tuple[tuple[int, str], ...]
"""Sort key of natural order; see `natural_key`."""


def natural_key(tag: str) -> NaturalKey:
    """Natural order for any tag: digit runs compare as numbers (`build-10 > build-9`).

    Splitting on digit runs alternates text and digits, always starting with (possibly empty)
    text, so position i holds the same kind of chunk in every key and plain tuple comparison
    works. Text chunks are `(0, text)`, digit runs `(number, "")`. Tags that differ only in
    leading zeros (`build-07`, `build-7`) get equal keys: they are equally new.
    """
    chunks = _DIGITS.split(tag)
    numbers = _DIGITS.findall(tag)
    key: list[tuple[int, str]] = []
    for index, text in enumerate(chunks):
        key.append((0, text))
        if index < len(numbers):
            key.append((int(numbers[index]), ""))
    return tuple(key)


def compare_tags(left: str, right: str) -> int:
    """A total order over all tags, for listing them: versions first, in version order, then
    the other tags in natural order; ties broken by the text."""
    left_version, right_version = parse(left), parse(right)
    if left_version is not None and right_version is not None:
        return left_version._total(right_version)
    if left_version is not None:
        return -1
    if right_version is not None:
        return 1
    left_key, right_key = (natural_key(left), left), (natural_key(right), right)
    return (left_key > right_key) - (left_key < right_key)


tag_sort_key = functools.cmp_to_key(compare_tags)
"""`sorted(tags, key=versions.tag_sort_key)` lists tags in `compare_tags` order."""
