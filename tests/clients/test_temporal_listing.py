"""Listing updates from Temporal visibility: the queries, the cursors, and a real dev server.

The queries and cursors are checked as text first. Then one dev server holds a seeded set of
update workflows, started under the update workflow's registered name with the search
attributes a proposal sets (phase and image repository as the workflow records them later),
on a task queue no worker polls, and the listing pages through them.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from clients.temporal import attributes, listing
from clients.temporal.listing import Filters, Stage
from headwind import names, naming, search_attributes
from headwind.models import Phase, Proposal, WorkloadKind, WorkloadRef

TEMPORAL = Path(sys.prefix) / "bin" / "temporal"
TYPE = f'WorkflowType = "{names.UPDATE_WORKFLOW}"'
NOT_PENDING = '(HeadwindPhase != "Pending" OR HeadwindPhase IS NULL)'

# (filters, stage, the visibility query)
QUERIES = [
    pytest.param(Filters(), Stage.PENDING, f'{TYPE} AND HeadwindPhase = "Pending"',
                 id="no filter, pending stage"),
    pytest.param(Filters(), Stage.OTHERS, f"{TYPE} AND {NOT_PENDING}",
                 id="no filter, the others"),
    pytest.param(Filters(phase="Completed"), Stage.FILTERED,
                 f'{TYPE} AND HeadwindPhase = "Completed"', id="one phase"),
    pytest.param(Filters(namespace="team", kind="StatefulSet"), Stage.FILTERED,
                 f'{TYPE} AND HeadwindNamespace = "team" AND HeadwindKind = "StatefulSet"',
                 id="namespace and kind"),
    pytest.param(Filters(namespaces=("a", "b"), kinds=("Deployment",)), Stage.FILTERED,
                 f'{TYPE} AND HeadwindNamespace IN ("a", "b") AND HeadwindKind IN ("Deployment")',
                 id="scope and readable kinds"),
    pytest.param(Filters(text="Web"), Stage.FILTERED,
                 f'{TYPE} AND (HeadwindName STARTS_WITH "web" OR HeadwindContainer STARTS_WITH '
                 '"web" OR HeadwindCandidateTag STARTS_WITH "Web" OR HeadwindImageRepository '
                 'STARTS_WITH "web" OR HeadwindImageRepository STARTS_WITH '
                 '"docker.io/library/web")',
                 id="text: names lower-cased, tag as typed, image normalised"),
    pytest.param(Filters(text="team/we"), Stage.FILTERED,
                 f'{TYPE} AND (HeadwindName STARTS_WITH "team/we" OR HeadwindContainer '
                 'STARTS_WITH "team/we" OR HeadwindCandidateTag STARTS_WITH "team/we" OR '
                 'HeadwindImageRepository STARTS_WITH "team/we" OR (HeadwindNamespace = "team" '
                 'AND HeadwindName STARTS_WITH "we") OR HeadwindImageRepository STARTS_WITH '
                 '"docker.io/team/we")',
                 id="text: namespace/name"),
    pytest.param(Filters(text="ghcr.io/org/app:1.2"), Stage.FILTERED,
                 f'{TYPE} AND (HeadwindName STARTS_WITH "ghcr.io/org/app:1.2" OR '
                 'HeadwindContainer STARTS_WITH "ghcr.io/org/app:1.2" OR HeadwindCandidateTag '
                 'STARTS_WITH "ghcr.io/org/app:1.2" OR HeadwindImageRepository STARTS_WITH '
                 '"ghcr.io/org/app:1.2" OR (HeadwindImageRepository = "ghcr.io/org/app" AND '
                 'HeadwindCandidateTag STARTS_WITH "1.2"))',
                 id="text: image and tag"),
]  # fmt: skip


@pytest.mark.parametrize(("filters", "stage", "expected"), QUERIES)
def test_queries(filters: Filters, stage: Stage, expected: str) -> None:
    assert listing.query(filters.checked(), stage) == expected


# (filters, what is refused)
BAD_FILTERS = [
    pytest.param(Filters(namespace="team\x00"), "namespace", id="NUL in namespace"),
    pytest.param(Filters(namespace="te'am"), "namespace", id="single quote in namespace"),
    pytest.param(Filters(namespace='te"am'), "namespace", id="double quote in namespace"),
    pytest.param(Filters(namespace="Team"), "namespace", id="upper case namespace"),
    pytest.param(Filters(phase="Pending\x00"), "unknown phase", id="NUL in phase"),
    pytest.param(Filters(phase="Pending' OR '1'='1"), "unknown phase", id="quote in phase"),
    pytest.param(Filters(kind="Deployment\x00"), "unknown workload kind", id="NUL in kind"),
    pytest.param(Filters(namespaces=("team", "x'y")), "namespace", id="quote in the scope"),
    pytest.param(Filters(text='web" OR "1'), "search text", id="quote in the text"),
    pytest.param(Filters(text="web\\"), "search text", id="backslash in the text"),
    pytest.param(Filters(text="web app"), "search text", id="space in the text"),
    pytest.param(Filters(text="w" * 254), "longer than 253", id="text too long"),
]


@pytest.mark.parametrize(("filters", "refusal"), BAD_FILTERS)
async def test_filters_are_refused_before_any_query(filters: Filters, refusal: str) -> None:
    nowhere = cast(Client, object())  # any call to Temporal would fail with AttributeError
    with pytest.raises(ValueError, match=refusal):
        await listing.list_updates(nowhere, filters)
    with pytest.raises(ValueError, match=refusal):
        await listing.count_updates(nowhere, filters)


# (filters, the stages read in order)
STAGES = [
    pytest.param(Filters(), (Stage.PENDING, Stage.OTHERS), id="pending first, then the rest"),
    pytest.param(Filters(phase="Pending"), (Stage.FILTERED,), id="pending only"),
    pytest.param(Filters(phase="Completed"), (Stage.FILTERED,), id="one other phase"),
]


@pytest.mark.parametrize(("filters", "expected"), STAGES)
def test_stages(filters: Filters, expected: tuple[Stage, ...]) -> None:
    assert listing.stages(filters) == expected


# (cursor, the filters it is decoded for, accepted)
CURSORS = [
    pytest.param(listing.Cursor(Stage.OTHERS, b"tok", Filters().fingerprint()), Filters(),
                 True, id="round trip"),
    pytest.param(listing.Cursor(Stage.PENDING, b"", Filters().fingerprint()), Filters(),
                 True, id="empty token"),
    pytest.param(listing.Cursor(Stage.OTHERS, bytes(range(256)) * 4, Filters().fingerprint()),
                 Filters(), True, id="any bytes"),
    pytest.param(listing.Cursor(Stage.FILTERED, b"tok", Filters().fingerprint()), Filters(),
                 False, id="a stage the listing does not read"),
    pytest.param(listing.Cursor(Stage.OTHERS, b"tok", Filters().fingerprint()),
                 Filters(text="web"), False, id="other search text"),
    pytest.param(listing.Cursor(Stage.OTHERS, b"tok", Filters(namespaces=("a",)).fingerprint()),
                 Filters(namespaces=("a", "b")), False, id="other scope"),
]  # fmt: skip


@pytest.mark.parametrize(("cursor", "filters", "accepted"), CURSORS)
def test_cursors(cursor: listing.Cursor, filters: Filters, accepted: bool) -> None:
    text = cursor.encode()
    if accepted:
        assert listing.Cursor.decode(text, filters) == cursor
    else:
        with pytest.raises(listing.InvalidCursorError, match="other filters"):
            listing.Cursor.decode(text, filters)


ALPHA = 30
"""Deployments `web-0`…`web-29` in namespace alpha: every sixth Pending, every third (from
the second) Completed and closed, the rest still Evaluating."""
BETA = 6
"""StatefulSets `db-0`…`db-5` in namespace beta from ghcr.io/org/db, tags 2.N.0, Pending."""


def _phase(i: int) -> Phase:
    if i % 6 == 0:
        return Phase.PENDING
    return Phase.COMPLETED if i % 3 == 1 else Phase.EVALUATING


async def _start(
    client: Client, workload: WorkloadRef, container: str, tag: str, repository: str, phase: Phase
) -> str:
    proposal = Proposal(workload=workload, container=container, tag=tag)
    name = naming.request_name(workload, container, tag)
    recorded = dict(search_attributes.for_proposal(proposal))
    recorded[search_attributes.PHASE] = phase.value
    recorded[search_attributes.IMAGE_REPOSITORY] = repository
    handle = await client.start_workflow(
        names.UPDATE_WORKFLOW,
        proposal,
        id=naming.update_workflow_id(workload.namespace, name),
        task_queue="nobody-polls",
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(attributes.key(a), v) for a, v in recorded.items()]
        ),
    )
    if phase is Phase.COMPLETED:
        await handle.terminate()
    return name


@pytest.fixture(scope="module")
async def seeded() -> AsyncIterator[Client]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL),
        data_converter=pydantic_data_converter,
        search_attributes=attributes.ALL,
        dev_server_log_level="error",
    )
    try:
        client = env.client
        for i in range(ALPHA):
            web = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="alpha", name=f"web-{i}")
            await _start(client, web, "app", f"1.0.{i}", "docker.io/library/nginx", _phase(i))
        for i in range(BETA):
            db = WorkloadRef(kind=WorkloadKind.STATEFULSET, namespace="beta", name=f"db-{i}")
            await _start(client, db, "db", f"2.{i}.0", "ghcr.io/org/db", Phase.PENDING)
        async with asyncio.timeout(30):
            while (await client.count_workflows(listing.query(Filters(), Stage.FILTERED))).count < (
                ALPHA + BETA
            ) or (await client.count_workflows("ExecutionStatus = 'Terminated'")).count < 10:
                await asyncio.sleep(0.2)
        yield client
    finally:
        await env.shutdown()


async def _everything(
    client: Client, filters: Filters, limit: int
) -> tuple[list[listing.UpdateSummary], int]:
    """Every update `filters` list, page by page through text cursors, and the page count."""
    found: list[listing.UpdateSummary] = []
    cursor: listing.Cursor | None = None
    pages = 0
    while True:
        page = await listing.list_updates(client, filters, limit=limit, cursor=cursor)
        pages += 1
        assert len(page.items) <= limit
        found += page.items
        if page.next is None:
            return found, pages
        cursor = listing.Cursor.decode(page.next.encode(), filters.checked())


@pytest.mark.parametrize("limit", [1, 4, 5, 7, 30, 1000])
async def test_paging_lists_each_once_pending_first(seeded: Client, limit: int) -> None:
    found, pages = await _everything(seeded, Filters(namespace="alpha"), limit)
    ids = [u.workflow_id for u in found]
    assert len(ids) == len(set(ids)) == ALPHA
    assert pages >= -(-ALPHA // limit)
    phases = [u.phase for u in found]
    assert phases[:5] == ["Pending"] * 5
    # Temporal's order after them: running newest first, then the finished ones.
    assert phases[5:] == ["Evaluating"] * 15 + ["Completed"] * 10
    evaluating = [u.started_at.timestamp() for u in found[5:20] if u.started_at]
    assert len(evaluating) == 15
    assert evaluating == sorted(evaluating, reverse=True)
    assert all(u.closed_at is not None and not u.running for u in found[20:])


# (filters, the request names expected, in any order)
SEARCHES = [
    pytest.param(Filters(text="web-1"), {f"web-{i}" for i in [1, *range(10, 20)]},
                 id="start of a workload name"),
    pytest.param(Filters(text="db"), {f"db-{i}" for i in range(BETA)}, id="container or name"),
    pytest.param(Filters(text="beta/db-1"), {"db-1"}, id="namespace/name"),
    pytest.param(Filters(text="beta/"), {f"db-{i}" for i in range(BETA)}, id="namespace/"),
    pytest.param(Filters(text="ghcr.io/org/db"), {f"db-{i}" for i in range(BETA)},
                 id="image repository"),
    pytest.param(Filters(text="ghcr.io/org/db:2.1"), {"db-1"}, id="image and tag"),
    pytest.param(Filters(text="nginx"), {f"web-{i}" for i in range(ALPHA)},
                 id="short image name"),
    pytest.param(Filters(text="1.0.2"), {f"web-{i}" for i in [2, *range(20, 30)]},
                 id="start of a tag"),
    pytest.param(Filters(text="nothing"), set(), id="no match"),
    pytest.param(Filters(phase="pending", kind="sts"), {f"db-{i}" for i in range(BETA)},
                 id="phase and kind"),
    pytest.param(Filters(namespaces=("beta", "nobody")), {f"db-{i}" for i in range(BETA)},
                 id="confined to a scope"),
]  # fmt: skip


@pytest.mark.parametrize(("filters", "expected"), SEARCHES)
async def test_filters_are_answered_by_visibility(
    seeded: Client, filters: Filters, expected: set[str]
) -> None:
    found, _ = await _everything(seeded, filters, 1000)
    assert {u.name for u in found} == expected
    assert len(found) == len(expected)


async def test_counts_per_phase(seeded: Client) -> None:
    counts = await listing.count_updates(seeded, Filters(namespace="alpha", phase="Completed"))
    assert counts == listing.Counts(
        total=ALPHA, phases={"Pending": 5, "Evaluating": 15, "Completed": 10}
    )


async def test_a_token_temporal_cannot_read_is_an_invalid_cursor_at_once(seeded: Client) -> None:
    filters = Filters().checked()
    forged = listing.Cursor(Stage.OTHERS, b"not a page token", filters.fingerprint())
    async with asyncio.timeout(5):  # not retried until the deadline
        with pytest.raises(listing.InvalidCursorError, match="Temporal refused"):
            await listing.list_updates(seeded, filters, cursor=forged)


async def test_a_cursor_of_other_filters_is_refused(seeded: Client) -> None:
    other = listing.Cursor(Stage.OTHERS, b"", Filters(namespace="beta").fingerprint())
    with pytest.raises(listing.InvalidCursorError, match="other filters"):
        await listing.list_updates(seeded, Filters(namespace="alpha"), cursor=other)


@pytest.mark.parametrize("limit", [0, listing.MAX_LIMIT + 1])
async def test_a_limit_out_of_bounds_is_refused(limit: int) -> None:
    nowhere = cast(Any, object())
    with pytest.raises(ValueError, match="limit must be between"):
        await listing.list_updates(nowhere, Filters(), limit=limit)
