"""The polling driver: keeps one Temporal Schedule per polled repository, on the leader only.

Why Schedules rather than a long-running poller workflow: a Schedule is durable without a
workflow history that grows with every tick (no continue-as-new bookkeeping), each scan is a
short workflow of its own that the Web UI lists with its result, Temporal adds the jitter and
skips a tick while the previous scan still runs (a slow or rate-limiting registry is not piled
on), and an operator can pause, trigger or inspect one repository's polling with the
`temporal schedule` commands.

The driver only reconciles: every `check_every` seconds it derives the wanted schedules from
the image index (`headwind.polling.desired`) and applies the difference to what it last
applied; every `resync_every` seconds, and when it starts leading, it compares with the
schedules Temporal actually lists (someone may have deleted one; a previous leader may have
left some behind). Schedules outlive the process, so a restart or a change of leader never
loses or doubles polling. `HEADWIND_POLLING_ENABLED=false` makes the wanted set empty: the
leader deletes every polling schedule.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode

from headwind import polling
from headwind.index import ImageIndex
from headwind.polling import PollRequest
from workflows.polling import PollRepositoryWorkflow

__all__ = ["DriverTiming", "PollingDriver", "existing_schedules", "schedule_for"]

log = logging.getLogger("headwind.polling")

_MIN_CATCHUP = timedelta(seconds=10)  # Temporal's smallest catch-up window


@dataclass(frozen=True)
class DriverTiming:
    check_every: float = 2.0
    """Seconds between two looks at the index (cheap: no Temporal call unless it changed)."""
    resync_every: float = 30.0
    """Seconds between two comparisons with the schedules Temporal lists."""


def schedule_for(repository: str, interval: timedelta, *, task_queue: str) -> Schedule:
    """The Schedule of one repository: every `interval` with jitter, skip while running."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PollRepositoryWorkflow.run,
            PollRequest(repository=repository),
            id=polling.schedule_id(repository),
            task_queue=task_queue,
            static_summary=f"Poll {repository}",
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=interval)], jitter=polling.jitter(interval)
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=max(interval, _MIN_CATCHUP)
        ),
    )


async def existing_schedules(client: Client) -> dict[str, timedelta | None]:
    """Repository → interval of every polling schedule Temporal lists (None: unreadable)."""
    found: dict[str, timedelta | None] = {}
    async for entry in await client.list_schedules():
        repository = polling.repository_of(entry.id)
        if repository is None:
            continue
        intervals = entry.schedule.spec.intervals if entry.schedule else ()
        found[repository] = intervals[0].every if len(intervals) == 1 else None
    return found


class PollingDriver:
    """Reconciles polling schedules with the index while `run` runs (on the leader)."""

    def __init__(
        self,
        client: Client,
        index: ImageIndex,
        *,
        task_queue: str,
        default_interval: timedelta,
        enabled: bool = True,
        synced: Callable[[], bool] = lambda: True,
        timing: DriverTiming | None = None,
    ) -> None:
        self._client = client
        self._index = index
        self._task_queue = task_queue
        self._default_interval = default_interval
        self._enabled = enabled
        self._synced = synced
        self._timing = timing or DriverTiming()
        self._applied: dict[str, timedelta] | None = None
        self._last_resync = 0.0

    async def run(self) -> None:
        """Reconcile until cancelled (when leadership is lost, or at shutdown)."""
        self._applied = None  # a new leader trusts nothing it did not list itself
        while True:
            try:
                await self.tick()
            except TemporalError as error:  # Temporal away or refusing: list afresh next time
                log.warning("reconciling polling schedules: %s", error)
                self._applied = None
            await asyncio.sleep(self._timing.check_every)

    async def tick(self) -> polling.SchedulePlan | None:
        """One reconciliation step; the plan applied, or None when nothing was due."""
        if not self._synced():
            return None  # an unsynced index looks empty: it would delete every schedule
        wanted = polling.desired(
            self._index.repositories(),
            default_interval=self._default_interval,
            enabled=self._enabled,
        )
        due = time.monotonic() - self._last_resync >= self._timing.resync_every
        if self._applied is None or due:
            existing = await existing_schedules(self._client)
            self._last_resync = time.monotonic()
        elif wanted != self._applied:
            existing = dict(self._applied)
        else:
            return None
        plan = polling.plan(wanted, existing)
        await self.apply(plan)
        self._applied = wanted
        return plan

    async def apply(self, plan: polling.SchedulePlan) -> None:
        for repository, interval in plan.create.items():
            await self._create(repository, interval)
        for repository, interval in plan.update.items():
            await self._update(repository, interval)
        for repository in plan.delete:
            await self._delete(repository)

    async def _create(self, repository: str, interval: timedelta) -> None:
        schedule = schedule_for(repository, interval, task_queue=self._task_queue)
        try:
            # Triggered at once: a new workload is checked now, not one interval later.
            await self._client.create_schedule(
                polling.schedule_id(repository), schedule, trigger_immediately=True
            )
        except ScheduleAlreadyRunningError:
            # Listing lags behind creation: it exists, make it right.
            await self._update(repository, interval, create_if_missing=False)
            return
        log.info("polling %s every %s", repository, interval)

    async def _update(
        self, repository: str, interval: timedelta, *, create_if_missing: bool = True
    ) -> None:
        wanted = schedule_for(repository, interval, task_queue=self._task_queue)

        def change(current: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule = current.description.schedule
            schedule.action = wanted.action
            schedule.spec = wanted.spec
            schedule.policy = wanted.policy
            return ScheduleUpdate(schedule=schedule)

        try:
            await self._client.get_schedule_handle(polling.schedule_id(repository)).update(change)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND or not create_if_missing:
                raise
            await self._create(repository, interval)  # deleted behind our back
            return
        log.info("polling %s every %s (changed)", repository, interval)

    async def _delete(self, repository: str) -> None:
        try:
            await self._client.get_schedule_handle(polling.schedule_id(repository)).delete()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        log.info("stopped polling %s", repository)
