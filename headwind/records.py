"""What Headwind writes on a workload: its update history and the versions it must not retry.

These records live in the workload's own annotations (see `headwind.annotations` for the
keys), so they travel with the workload, survive a Headwind reinstall and are readable with
`kubectl`. That also means anyone can edit them, so every reader here tolerates garbage:
it returns what it could read plus a message, and never raises.

History (`headwind.sh/update-history`) is a JSON list, newest first, at most
`HISTORY_LIMIT` entries per container. Every entry records the image it replaced
(`previousImage`), not only the first one the spec requires: trimming drops the oldest
entries, and a rollback must still know where to go back to::

    [{"container": "web", "image": "nginx:1.26", "previousImage": "nginx:1.25",
      "at": "2025-01-02T03:04:05Z", "kind": "update", "by": "alice", "reason": "minor",
      "workflowId": "…"}]

Remembered tags (`headwind.sh/rejected-tags`, `headwind.sh/failed-tags`) are a JSON object
from container name to tags, newest first, at most `REMEMBERED_LIMIT` per container::

    {"web": ["1.27.0", "1.26.1"]}

They are kept per container, not per repository: if an owner switches a container to another
repository, deleting the annotation forgets the old verdicts.

Known digests (`headwind.sh/digests`) are a JSON object from container name to the tag it
runs and the manifest digest that tag had when Headwind last rolled it out or first polled it::

    {"web": {"tag": "1.27", "digest": "sha256:…"}}

A reference without a digest (`nginx:1.27`) does not say which build runs; under `force`,
polling compares the registry's digest of the current tag with this record, so a re-pushed
tag is rolled out once, not on every poll.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

__all__ = [
    "HISTORY_LIMIT",
    "REMEMBERED_LIMIT",
    "HistoryEntry",
    "HistoryKind",
    "RememberedTags",
    "TagDigest",
    "append_history",
    "dump_digests",
    "dump_history",
    "dump_remembered",
    "format_timestamp",
    "parse_digests",
    "parse_history",
    "parse_remembered",
    "parse_timestamp",
    "record_digest",
    "remember",
]

HISTORY_LIMIT = 10
"""Entries kept per container: enough to see a trend and roll back, small enough for etcd."""

REMEMBERED_LIMIT = 20
"""Tags remembered per container; older verdicts matter less than the annotation's size."""

RememberedTags = Mapping[str, tuple[str, ...]]
"""Container name → tags, newest first."""


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with whole seconds (`2025-01-02T03:04:05Z`), as Kubernetes writes."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """Read an RFC 3339 timestamp with a zone (`Z` or an offset); raise `ValueError`."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return moment


Timestamp = Annotated[AwareDatetime, PlainSerializer(format_timestamp, return_type=str)]
_NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class HistoryKind(StrEnum):
    """Why an entry's image was written."""

    UPDATE = "update"
    ROLLBACK = "rollback"


BY_LIMIT = 256
REASON_LIMIT = 512
"""Longest `by` and `reason` kept in a history entry: ten entries per container must fit the
apiserver's 256 KiB annotation limit whatever callers send, or the write would fail for good."""


def _capped(limit: int) -> Callable[[str | None], str | None]:
    def cap(value: str | None) -> str | None:
        return value if value is None or len(value) <= limit else value[: limit - 1] + "…"

    return cap


class HistoryEntry(BaseModel):
    """One image change Headwind made to one container."""

    model_config = ConfigDict(
        frozen=True, populate_by_name=True, extra="ignore", use_attribute_docstrings=True
    )

    container: _NonEmpty
    """Container (or init container) name; for a HelmRelease, the chart name."""

    image: _NonEmpty
    """The reference written (for a HelmRelease, the chart version)."""

    previous_image: str | None = Field(default=None, alias="previousImage")
    """The reference it replaced: where a rollback goes. Optional only in hand-edited entries."""

    at: Timestamp
    """When the change was written."""

    kind: HistoryKind = HistoryKind.UPDATE
    """`update` or `rollback`."""

    by: Annotated[str | None, AfterValidator(_capped(BY_LIMIT))] = None
    """Who approved it, or `headwind` for an automatic change."""

    reason: Annotated[str | None, AfterValidator(_capped(REASON_LIMIT))] = None
    """Why: the policy decision, a rejection reason, the failed health check."""

    workflow_id: str | None = Field(default=None, alias="workflowId")
    """The Temporal workflow that made the change, for the link to its history."""


_ENTRY = TypeAdapter(HistoryEntry)


def parse_history(text: str | None) -> tuple[tuple[HistoryEntry, ...], str | None]:
    """Read a history annotation: the entries that are valid, and a problem message if any.

    Missing or empty text is an empty history. Text that is not a JSON list gives no entries;
    a list with some bad entries keeps the good ones.
    """
    if text is None or not text.strip():
        return (), None
    raw = _load_json(text)
    if raw is _INVALID:
        return (), "not valid JSON; the history is ignored"
    if not isinstance(raw, list):
        return (), "not a JSON list; the history is ignored"
    entries: list[HistoryEntry] = []
    bad = 0
    for item in raw:
        try:
            entries.append(_ENTRY.validate_python(item))
        except ValidationError:
            bad += 1
    problem = f"{bad} of {len(raw)} entries are not valid and are ignored" if bad else None
    return tuple(entries), problem


def append_history(
    entries: Iterable[HistoryEntry], entry: HistoryEntry, *, limit: int = HISTORY_LIMIT
) -> tuple[HistoryEntry, ...]:
    """`entry` first, then `entries`, keeping at most `limit` per container (newest)."""
    kept: list[HistoryEntry] = []
    per_container: dict[str, int] = {}
    for item in (entry, *entries):
        count = per_container.get(item.container, 0)
        if count < limit:
            kept.append(item)
            per_container[item.container] = count + 1
    return tuple(kept)


def dump_history(entries: Iterable[HistoryEntry]) -> str:
    """The annotation value for `entries`: compact JSON with the camelCase field names."""
    payload = [entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in entries]
    return json.dumps(payload, separators=(",", ":"))


def parse_remembered(text: str | None) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """Read a remembered-tags annotation: what is valid, and a problem message if any."""
    if text is None or not text.strip():
        return {}, None
    raw = _load_json(text)
    if raw is _INVALID:
        return {}, "not valid JSON; the remembered tags are ignored"
    if not isinstance(raw, dict):
        return {}, "not a JSON object of container name to tags; ignored"
    remembered: dict[str, tuple[str, ...]] = {}
    bad: list[str] = []
    for container, tags in raw.items():
        if isinstance(tags, list) and all(isinstance(tag, str) and tag for tag in tags):
            remembered[container] = tuple(tags)
        else:
            bad.append(container)
    problem = (
        f"tags for {', '.join(sorted(bad))} are not a list of strings and are ignored"
        if bad
        else None
    )
    return remembered, problem


def remember(
    remembered: RememberedTags, container: str, tag: str, *, limit: int = REMEMBERED_LIMIT
) -> dict[str, tuple[str, ...]]:
    """`remembered` with `tag` first for `container` (moved up if already there)."""
    tags = (tag, *(known for known in remembered.get(container, ()) if known != tag))
    return {**remembered, container: tags[:limit]}


def dump_remembered(remembered: RememberedTags) -> str:
    """The annotation value for `remembered`: compact JSON, containers sorted."""
    payload = {container: list(tags) for container, tags in sorted(remembered.items())}
    return json.dumps(payload, separators=(",", ":"))


class TagDigest(BaseModel):
    """The manifest digest a container's tag had when Headwind last saw it roll out."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)

    tag: _NonEmpty
    """The tag the container ran (a record for another tag is out of date)."""
    digest: _NonEmpty
    """`sha256:…` of the tag's manifest (the index, for multi-platform images)."""


_DIGESTS = TypeAdapter(TagDigest)


def parse_digests(text: str | None) -> tuple[dict[str, TagDigest], str | None]:
    """Read a known-digests annotation: what is valid, and a problem message if any."""
    if text is None or not text.strip():
        return {}, None
    raw = _load_json(text)
    if raw is _INVALID:
        return {}, "not valid JSON; the known digests are ignored"
    if not isinstance(raw, dict):
        return {}, "not a JSON object of container name to tag and digest; ignored"
    known: dict[str, TagDigest] = {}
    bad: list[str] = []
    for container, item in raw.items():
        try:
            known[str(container)] = _DIGESTS.validate_python(item)
        except ValidationError:
            bad.append(str(container))
    problem = f"digests of {', '.join(sorted(bad))} are not valid and are ignored" if bad else None
    return known, problem


def record_digest(
    known: Mapping[str, TagDigest], container: str, tag: str, digest: str
) -> dict[str, TagDigest]:
    """`known` with `container` now running `tag` at `digest`."""
    return {**known, container: TagDigest(tag=tag, digest=digest)}


def dump_digests(known: Mapping[str, TagDigest]) -> str:
    """The annotation value for `known`: compact JSON, containers sorted."""
    payload = {container: item.model_dump(mode="json") for container, item in sorted(known.items())}
    return json.dumps(payload, separators=(",", ":"))


_INVALID = object()


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        # RecursionError: anyone can write `[[[[…` into an annotation; it must not crash a reader.
        return _INVALID
