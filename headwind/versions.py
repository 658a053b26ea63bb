"""What a tag means as a version, and how tags are ordered.

Every path that compares tags (webhooks, polling, Helm charts, the CLI, the API's "why not
updated") goes through this module, so that `1.25` never means one thing to the poller and
another to the approval page. A tag is a version when it is an optional `v`/`V` prefix, then one
to four dot-separated numeric parts or a date written with dashes (`2026-01-30`), then an
optional `-suffix` and optional `+build` metadata.

The suffix is read from the right, then from the left, into three pieces that play different
roles:

- a **revision** is a build counter as the suffix's last dash-separated token: a bare number
  when it is the whole suffix (`3.9.1-1`, Debian packaging), `ls<N>` (`1.2.3-ls30`,
  linuxserver.io) or `r<N>` (`1.25.3-debian-12-r5`, Bitnami; `-r0`, Alpine packaging). It is a
  rebuild of the same version and variant, so a higher revision is newer; it never makes a
  prerelease. A bare number *after* other tokens is not taken for one: in `debian-12` the `12`
  names the distribution.
- a **prerelease** is an earlier stage of the *same* release (`1.3.0-rc.1` comes before
  `1.3.0`): the suffix starts with a prerelease word (`alpha`, `beta`, `rc`, …, any case) as a
  whole word, continued only by a counter — digits, `.identifier`s or `-digits`: `rc`, `rc1`,
  `RC.2`, `rc-1`, `beta.2`, `alpha.beta`, `dev-20240101`;
- a **variant** is a different flavour of the image (`alpine`, `slim-bookworm`, `debian-12`)
  that a workload must never be switched to silently: whatever follows the prerelease after a
  `-` (`rc1-alpine` is prerelease `rc1` of variant `alpine`), or the whole rest when it does not
  start with a prerelease word — also `alpine-rc.1`, `devel-ubuntu22.04` and `nextcloud` (they
  only *begin* with a word). Reading doubtful suffixes as variants is the safe side: a variant
  must match the current tag's exactly, so an odd tag is never proposed by accident.

Precedence is SemVer 2.0 precedence extended to what registries publish: the numeric parts
compare by value, missing ones count as 0 (`1.25` ranks like `1.25.0.0` but keeps its shape, and
`2024.01.05` ranks with `2024.1.5`); a final release ranks above its prereleases; prerelease
identifiers are lower-cased and split between letters and digits, so that `rc10 > rc9` as well
as `rc.10 > rc.9`; then the revision (none below `0`). Neither prefix, variant nor build metadata
orders. Two different tags can therefore have equal precedence (`1.2.3`, `1.2.3+b7`, `v1.2.3`);
the total order used for sorting breaks such ties by the tag text, so every sort is
deterministic. Precedence is a plain tuple (`Version.precedence`), so sorting thousands of tags
costs one key per tag.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "PRERELEASE_WORDS",
    "NaturalKey",
    "Precedence",
    "Suffix",
    "TagKey",
    "Version",
    "compare_tags",
    "natural_key",
    "normalise_prerelease",
    "parse",
    "precedence_of",
    "split_suffix",
    "tag_sort_key",
]

PRERELEASE_WORDS: tuple[str, ...] = (
    "alpha",
    "beta",
    "rc",
    "pre",
    "preview",
    "prerelease",
    "dev",
    "snapshot",
    "canary",
    "nightly",
    "next",
    "experimental",
)
"""Words that make a suffix a prerelease when the suffix starts with one of them (any case)."""

MAX_PARTS = 4
"""Numeric parts a version may have (`21.0.2.13`); a fifth makes the tag not a version."""

_VERSION = re.compile(
    r"(?P<prefix>[vV]?)"
    r"(?:(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})|(?P<release>[0-9]+(?:\.[0-9]+){0,3}))"
    r"(?:-(?P<suffix>[0-9A-Za-z][0-9A-Za-z._-]*))?"
    r"(?:\+(?P<build>[0-9A-Za-z][0-9A-Za-z.-]*))?"
)

_WORDS = "|".join(PRERELEASE_WORDS)

# The lookahead keeps whole words only: `devel` and `nextcloud` are variants, not `dev`/`next`.
# After the word, `.identifier`s continue the prerelease (`alpha.beta`, `rc.1`) but a hyphen
# does only before a number (`rc-1`); `-anything-else` starts the variant.
_PRERELEASE = re.compile(
    rf"(?P<prerelease>(?:{_WORDS})(?![A-Za-z])[0-9]*(?:\.[0-9A-Za-z]+|-[0-9]+)*)"
    r"(?:-(?P<variant>.+))?",
    re.IGNORECASE,
)

_REVISION_MARKERS = ("ls", "r")
"""What may start the build counter that ends a suffix (`-ls30`, `-r5`); a bare number is a
revision only as the whole suffix."""

_IDENTIFIER_PIECES = re.compile(r"[0-9]+|[a-z]+")
_DIGITS = re.compile(r"[0-9]+")

Identifier = tuple[int, int, str]
"""One prerelease identifier as a sort key: `(0, number, "")` or `(1, 0, word)`, so that numbers
rank below words and compare by value, as SemVer says."""

Precedence = tuple[tuple[int, ...], int, tuple[Identifier, ...], int]
"""Sort key of precedence: the numeric parts padded to four, 1 for a final release and 0 for a
prerelease, the prerelease identifiers, and the revision number (-1 for none)."""


class Suffix(NamedTuple):
    """A suffix taken apart; any piece may be None."""

    prerelease: str | None
    variant: str | None
    revision: str | None


_NO_SUFFIX = Suffix(None, None, None)


@dataclass(frozen=True, slots=True)
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
    """The 1 to 4 numeric parts as written (`1.25` is `(1, 25)`, `2026-01-30` is
    `(2026, 1, 30)`)."""
    prerelease: str | None
    """The prerelease part of the suffix as written (`rc.1`), or None for a final release."""
    variant: str | None
    """The variant part of the suffix as written (`alpine`, `debian-12`), or None."""
    build: str | None
    """Build metadata after `+`, which never orders."""
    revision: str | None = None
    """The build counter ending the suffix as written (`ls30`, `r5`, `1`), or None."""
    dashed_date: bool = False
    """Whether the numeric parts are a date written with dashes (`2026-01-30`)."""
    precedence: Precedence = field(init=False, repr=False, compare=False)
    """The sort key of precedence; equal keys mean equally new (see `Precedence`). Computed
    once here: sorting a long tag list reads it for every comparison."""

    def __post_init__(self) -> None:
        key = precedence_of(self.parts, self.prerelease, self.revision_number)
        object.__setattr__(self, "precedence", key)

    @property
    def shape(self) -> int:
        """How many numeric parts the tag has; `1.25` moves to `1.26`, not to `1.26.3`."""
        return len(self.parts)

    @property
    def release(self) -> tuple[int, int, int]:
        """The first three numeric parts padded with zeros: major, minor, patch."""
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

    @property
    def revision_marker(self) -> str | None:
        """How the revision is written: `"ls"`, `"r"`, `""` for a bare number, None without one.
        Part of the tag's kind: `-ls30` never moves to `-r31`."""
        if self.revision is None:
            return None
        return self.revision.rstrip("0123456789")

    @property
    def revision_number(self) -> int | None:
        if self.revision is None:
            return None
        return int(self.revision[len(self.revision_marker or "") :])

    @property
    def flavour(self) -> tuple[str | None, str | None]:
        """What a candidate must share with the current tag under the variant rule: the variant
        and how its revision is written (`debian-12` with `r<N>`)."""
        return (self.variant, self.revision_marker)

    def compare(self, other: Version) -> int:
        """Precedence only: negative, zero or positive."""
        left, right = self.precedence, other.precedence
        return (left > right) - (left < right)

    def is_newer_than(self, other: Version) -> bool:
        return self.precedence > other.precedence

    def _total(self, other: Version) -> int:
        left, right = (self.precedence, self.text), (other.precedence, other.text)
        return (left > right) - (left < right)

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


@functools.lru_cache(maxsize=16384)
def parse(tag: str) -> Version | None:
    """The tag as a Version, or None when it is not one (`latest`, `sha-1a2b`, `1.2.3.4.5`).

    Cached: sorting and choosing compare the same tags many times, and a repository's tag list
    is judged again on every poll. Versions are immutable, so sharing them is safe.
    """
    matched = _VERSION.fullmatch(tag)
    if matched is None:
        return None
    prefix, date, release, suffix, build = matched.groups()
    prerelease, variant, revision = split_suffix(suffix)
    numbers = date.split("-") if date else release.split(".")
    return Version(
        text=tag,
        prefix=prefix,
        parts=tuple(map(int, numbers)),
        prerelease=prerelease,
        variant=variant,
        build=build,
        revision=revision,
        dashed_date=date is not None,
    )


def split_suffix(suffix: str | None) -> Suffix:
    """Split a suffix into prerelease, variant and revision (see the module docstring)."""
    if not suffix:
        return _NO_SUFFIX
    if suffix.isdigit():
        return Suffix(None, None, suffix)
    rest, _, last = suffix.rpartition("-")
    revision = None
    if _is_marked_counter(last):
        if not rest:
            return Suffix(None, None, last)
        revision, suffix = last, rest
    matched = _PRERELEASE.fullmatch(suffix)
    if matched is None:
        return Suffix(None, suffix, revision)
    return Suffix(matched["prerelease"], matched["variant"], revision)


def _is_marked_counter(token: str) -> bool:
    """`ls<N>` or `r<N>`: string tests, because every suffix of every listed tag goes here."""
    for marker in _REVISION_MARKERS:
        if token.startswith(marker):
            number = token[len(marker) :]
            return number.isdigit() and number.isascii()
    return False


def normalise_prerelease(prerelease: str | None) -> str | None:
    """The prerelease as dotted SemVer identifiers that order like the user expects.

    `RC1`, `rc.1` and `rc-1` all become `rc.1`, so numeric parts compare as numbers
    (`rc10 > rc2`) and case does not reorder words (ASCII would put `RC` before `alpha`).
    Leading zeros are dropped because SemVer numeric identifiers cannot carry them.
    """
    if prerelease is None:
        return None
    pieces = _IDENTIFIER_PIECES.findall(prerelease.lower())
    return ".".join(str(int(piece)) if piece.isdigit() else piece for piece in pieces)


def precedence_of(
    parts: tuple[int, ...], prerelease: str | None, revision: int | None = None
) -> Precedence:
    """The precedence of a version given by its pieces; also used for the bounds of ranges."""
    numbers = (*parts, 0, 0, 0, 0)[:MAX_PARTS]
    if prerelease is None:
        return (numbers, 1, (), -1 if revision is None else revision)
    identifiers = tuple(
        (0, int(piece), "") if piece.isdigit() else (1, 0, piece)
        for piece in _IDENTIFIER_PIECES.findall(prerelease.lower())
    )
    return (numbers, 0, identifiers, -1 if revision is None else revision)


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


TagKey = tuple[int, Precedence, NaturalKey, str]
"""Sort key of `compare_tags` order."""

_NO_PRECEDENCE: Precedence = ((), 0, (), 0)


def tag_sort_key(tag: str) -> TagKey:
    """`sorted(tags, key=versions.tag_sort_key)` lists tags in `compare_tags` order."""
    version = parse(tag)
    if version is not None:
        return (0, version.precedence, (), tag)
    return (1, _NO_PRECEDENCE, natural_key(tag), tag)


def compare_tags(left: str, right: str) -> int:
    """A total order over all tags, for listing them: versions first, in version order, then
    the other tags in natural order; ties broken by the text."""
    left_key, right_key = tag_sort_key(left), tag_sort_key(right)
    return (left_key > right_key) - (left_key < right_key)
