"""Listing update workflows from Temporal visibility, a page at a time, pending first.

Every filter becomes part of the visibility query, so the server does the filtering and a
listing costs one page whatever the number of updates. Temporal's SQL visibility (the dev
server's SQLite, PostgreSQL, MySQL) supports neither `ORDER BY` nor `GROUP BY` on custom
attributes, so the order is the server's: running workflows newest first, then finished ones
most recently finished first. "Pending first" is two queries read one after the other: the
pending updates, then every other one. Counts per phase are one `COUNT` per phase.

A position in a listing is a `Cursor`: which of those queries, and Temporal's page token in it.
Its text form is opaque to callers; it is checksummed and bound to the filters it was made
for, so an altered, truncated or reused cursor is refused before anything reaches Temporal.

Calls keep the starter's deadlines (`operations.Deadlines`) and its one rule for turning
Temporal's transport errors into ours.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import enum
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey
from temporalio.converter import decode_typed_search_attributes
from temporalio.service import RPCError, RPCStatusCode

from clients.temporal import attributes
from clients.temporal.operations import DEADLINES, Deadlines, _bounded
from headwind import images, names, validation
from headwind.models import Phase, WorkloadKind

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "TEXT_MAX_LENGTH",
    "Counts",
    "Cursor",
    "Filters",
    "InvalidCursorError",
    "Page",
    "Stage",
    "UpdateSummary",
    "count_updates",
    "list_updates",
    "query",
    "stages",
]

DEFAULT_LIMIT = 500
"""Updates per page when the caller names no limit (what a listing returned before paging)."""
MAX_LIMIT = 1000
"""The most a page may hold: Temporal's default visibility page size limit."""
TEXT_MAX_LENGTH = 253
CURSOR_MAX_LENGTH = 4096
"""A cursor's text form at most: Temporal's SQL page tokens are about 130 bytes."""

_TEXT = re.compile(r"[A-Za-z0-9._:/@+-]+")
_CURSOR = re.compile(r"[A-Za-z0-9_-]+")
_VERSION = 1
_CHECK = 8
_FINGERPRINT = 8


class InvalidCursorError(ValueError):
    """A cursor that this listing did not hand out, or that belongs to other filters (422)."""


class UpdateSummary(BaseModel):
    """One update as Temporal visibility lists it (no worker needed)."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    request_name: str
    namespace: str
    kind: str
    name: str
    container: str
    tag: str
    repository: str | None
    phase: str
    started_at: datetime | None
    closed_at: datetime | None
    running: bool


class Stage(enum.IntEnum):
    """Which query of a listing a page comes from."""

    PENDING = 0
    """Only `Pending` updates (a listing without a phase filter reads these first)."""
    OTHERS = 1
    """Every update not `Pending`."""
    FILTERED = 2
    """A listing filtered to one phase: that phase only."""


@dataclass(frozen=True)
class Filters:
    """What a listing is confined to; every value is checked by `checked` before any query."""

    namespace: str | None = None
    phase: str | None = None
    kind: str | None = None
    text: str | None = None
    """Free text: the start of a workload name, container, candidate tag or image repository,
    `namespace/name…`, or an image reference (`nginx`, `ghcr.io/org/app:1.2`)."""
    namespaces: tuple[str, ...] = ()
    """The scope (`HEADWIND_WATCH_NAMESPACES`): nothing outside is listed."""
    kinds: tuple[str, ...] = ()
    """Only these kinds (in `token` auth mode, the kinds the caller may read)."""

    def checked(self) -> Filters:
        """The same filters normalised; `ValueError` names the first that is invalid."""
        text = (self.text or "").strip() or None
        if text is not None:
            if len(text) > TEXT_MAX_LENGTH:
                raise ValueError(f"search text is longer than {TEXT_MAX_LENGTH} characters")
            if not _TEXT.fullmatch(text):
                raise ValueError(
                    f"search text {validation.shown(text)} may hold only letters, digits and "
                    ". _ : / @ + -"
                )
        return Filters(
            namespace=validation.namespace(self.namespace) if self.namespace else None,
            phase=validation.phase(self.phase).value if self.phase else None,
            kind=WorkloadKind.parse(self.kind).value if self.kind else None,
            text=text,
            namespaces=tuple(validation.namespace(n) for n in self.namespaces),
            kinds=tuple(WorkloadKind.parse(k).value for k in self.kinds),
        )

    def fingerprint(self) -> bytes:
        """Identifies the listing these filters select (a cursor is bound to it)."""
        return hashlib.blake2b(
            query(self, Stage.FILTERED).encode(), digest_size=_FINGERPRINT, person=b"hw-filters"
        ).digest()


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _starts(attribute: SearchAttributeKey[str], value: str) -> str:
    return f"{attribute.name} STARTS_WITH {_quoted(value)}"


def _equals(attribute: SearchAttributeKey[str], value: str) -> str:
    return f"{attribute.name} = {_quoted(value)}"


def _is_namespace(value: str) -> bool:
    try:
        validation.namespace(value)
    except ValueError:
        return False
    return True


def _text_clause(text: str) -> str:
    """Where free text may match; Keyword attributes allow prefixes (`STARTS_WITH`) only."""
    lower = text.lower()
    alternatives = [
        _starts(attributes.NAME, lower),
        _starts(attributes.CONTAINER, lower),
        _starts(attributes.CANDIDATE_TAG, text),
        _starts(attributes.IMAGE_REPOSITORY, lower),
    ]
    namespace, slash, rest = lower.partition("/")
    if slash and _is_namespace(namespace):
        workload = [_equals(attributes.NAMESPACE, namespace)]
        if rest:
            workload.append(_starts(attributes.NAME, rest))
        alternatives.append("(" + " AND ".join(workload) + ")")
    try:
        image = images.parse(lower)
    except ValueError:
        image = None
    if image is not None and image.repository_key != lower:
        written_tag = text.rpartition(":")[2] if image.tag else None
        if written_tag and "/" not in written_tag:
            alternatives.append(
                f"({_equals(attributes.IMAGE_REPOSITORY, image.repository_key)} AND "
                f"{_starts(attributes.CANDIDATE_TAG, written_tag)})"
            )
        else:
            alternatives.append(_starts(attributes.IMAGE_REPOSITORY, image.repository_key))
    return "(" + " OR ".join(dict.fromkeys(alternatives)) + ")"


def query(filters: Filters, stage: Stage) -> str:
    """The visibility query of one stage of a listing (filters already `checked`)."""
    clauses = [f'WorkflowType = "{names.UPDATE_WORKFLOW}"']
    for attribute, value in (
        (attributes.NAMESPACE, filters.namespace),
        (attributes.KIND, filters.kind),
    ):
        if value:
            clauses.append(_equals(attribute, value))
    for attribute, values in (
        (attributes.NAMESPACE, filters.namespaces),
        (attributes.KIND, filters.kinds),
    ):
        if values:
            clauses.append(f"{attribute.name} IN ({', '.join(_quoted(v) for v in values)})")
    if filters.text:
        clauses.append(_text_clause(filters.text))
    pending = _equals(attributes.PHASE, Phase.PENDING.value)
    if stage is Stage.PENDING:
        clauses.append(pending)
    elif stage is Stage.OTHERS:
        # An update always records a phase; IS NULL keeps one that did not in the listing.
        phase = attributes.PHASE.name
        clauses.append(f'({phase} != "{Phase.PENDING.value}" OR {phase} IS NULL)')
    elif filters.phase:
        clauses.append(_equals(attributes.PHASE, filters.phase))
    return " AND ".join(clauses)


def stages(filters: Filters) -> tuple[Stage, ...]:
    """The queries a listing reads, in order."""
    return (Stage.FILTERED,) if filters.phase else (Stage.PENDING, Stage.OTHERS)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _checksum(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_CHECK, person=b"hw-cursor").digest()


@dataclass(frozen=True)
class Cursor:
    """Where the next page of a listing starts."""

    stage: Stage
    token: bytes
    """Temporal's page token within the stage's query (empty: its first page)."""
    fingerprint: bytes

    def encode(self) -> str:
        body = bytes((_VERSION, self.stage)) + self.fingerprint + self.token
        return _encode(_checksum(body) + body)

    @classmethod
    def decode(cls, text: str, filters: Filters) -> Cursor:
        """The cursor `text` stands for, if it was handed out for a listing with `filters`."""
        if len(text) > CURSOR_MAX_LENGTH:
            raise InvalidCursorError(f"the cursor is longer than {CURSOR_MAX_LENGTH} characters")
        if not _CURSOR.fullmatch(text):
            raise InvalidCursorError("the cursor may hold only letters, digits, - and _")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursorError("the cursor is not one this API handed out") from None
        check, body = raw[:_CHECK], raw[_CHECK:]
        if len(body) < 2 + _FINGERPRINT or _checksum(body) != check or body[0] != _VERSION:
            raise InvalidCursorError("the cursor is not one this API handed out (altered?)")
        try:
            stage = Stage(body[1])
        except ValueError:
            raise InvalidCursorError("the cursor is not one this API handed out") from None
        fingerprint = body[2 : 2 + _FINGERPRINT]
        if fingerprint != filters.fingerprint() or stage not in stages(filters):
            raise InvalidCursorError(
                "the cursor belongs to a listing with other filters; "
                "send the same filters, or start again without a cursor"
            )
        return cls(stage=stage, token=body[2 + _FINGERPRINT :], fingerprint=fingerprint)


@dataclass(frozen=True)
class Page:
    """One page of a listing and where the next one starts (None: this was the last)."""

    items: list[UpdateSummary]
    next: Cursor | None


@dataclass(frozen=True)
class Counts:
    """How many updates a listing's filters select, in all and per phase (phases with any)."""

    total: int
    phases: dict[str, int]


def _moment(
    info: WorkflowExecutionInfo, field: Literal["start_time", "close_time"]
) -> datetime | None:
    if not info.HasField(field):
        return None
    moment: datetime = getattr(info, field).ToDatetime(tzinfo=UTC)
    return moment


def _summary(info: WorkflowExecutionInfo) -> UpdateSummary:
    attrs = decode_typed_search_attributes(info.search_attributes)
    workflow_id = info.execution.workflow_id
    return UpdateSummary(
        workflow_id=workflow_id,
        request_name=workflow_id.rsplit("/", 1)[-1],
        namespace=attrs.get(attributes.NAMESPACE) or "",
        kind=attrs.get(attributes.KIND) or "",
        name=attrs.get(attributes.NAME) or "",
        container=attrs.get(attributes.CONTAINER) or "",
        tag=attrs.get(attributes.CANDIDATE_TAG) or "",
        repository=attrs.get(attributes.IMAGE_REPOSITORY),
        phase=attrs.get(attributes.PHASE) or "",
        started_at=_moment(info, "start_time"),
        closed_at=_moment(info, "close_time"),
        running=info.status == WorkflowExecutionStatus.RUNNING.value,
    )


async def _page(
    client: Client, text: str, size: int, token: bytes, deadlines: Deadlines
) -> tuple[list[UpdateSummary], bytes]:
    request = ListWorkflowExecutionsRequest(
        namespace=client.namespace, page_size=size, next_page_token=token, query=text
    )
    try:
        async with _bounded("list update workflows", deadlines.call):
            answer = await client.workflow_service.list_workflow_executions(
                request,
                # A token Temporal cannot read fails at once rather than being retried
                # until the deadline; only a first page is worth the SDK's retries.
                retry=not token,
                timeout=timedelta(seconds=deadlines.call),
            )
    except RPCError as exc:
        if token and exc.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.UNKNOWN):
            raise InvalidCursorError(
                f"Temporal refused the cursor's page token ({exc.message}); start again "
                "without a cursor"
            ) from exc
        raise
    return [_summary(info) for info in answer.executions], answer.next_page_token


async def list_updates(
    client: Client,
    filters: Filters,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
    deadlines: Deadlines = DEADLINES,
) -> Page:
    """One page of at most `limit` updates, pending first, from `cursor` (None: the start).

    Filters are checked against their grammar first (`ValueError`), so only names, known
    phases and kinds and plain search text ever reach the visibility query.
    """
    filters = filters.checked()
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    order = stages(filters)
    if cursor is None:
        cursor = Cursor(stage=order[0], token=b"", fingerprint=filters.fingerprint())
    elif cursor.fingerprint != filters.fingerprint() or cursor.stage not in order:
        raise InvalidCursorError("the cursor belongs to a listing with other filters")
    found: list[UpdateSummary] = []
    position = order.index(cursor.stage)
    token = cursor.token
    while True:
        stage = order[position]
        items, token = await _page(
            client, query(filters, stage), limit - len(found), token, deadlines
        )
        found += items
        if token and not items:  # never seen; ending the page keeps a request bounded
            return Page(items=found, next=replace(cursor, stage=stage, token=token))
        if not token:  # this stage is read to its end: the next one starts afresh
            position += 1
            if position == len(order):
                return Page(items=found, next=None)
            stage = order[position]
        if len(found) >= limit:
            return Page(items=found, next=replace(cursor, stage=stage, token=token))


async def count_updates(
    client: Client, filters: Filters, *, deadlines: Deadlines = DEADLINES
) -> Counts:
    """How many updates `filters` select, in all and per phase (the phase filter aside).

    SQL visibility groups counts by `ExecutionStatus` only, so each phase is one `COUNT`
    query, all sent at once.
    """
    every = replace(filters.checked(), phase=None)
    base = query(every, Stage.FILTERED)
    phases = [p.value for p in Phase]

    async def count(text: str) -> int:
        async with _bounded("count update workflows", deadlines.call):
            answer = await client.count_workflows(
                text, rpc_timeout=timedelta(seconds=deadlines.call)
            )
        return answer.count

    totals = await asyncio.gather(
        count(base),
        *(count(query(replace(every, phase=p), Stage.FILTERED)) for p in phases),
    )
    return Counts(
        total=totals[0], phases={p: n for p, n in zip(phases, totals[1:], strict=True) if n}
    )
