"""One slot per workload container: at most one update is pending or applying at a time.

Update workflows are keyed by candidate, so two candidates for one container are two workflows.
This small entity workflow (one per container) serialises them: an update asks for the slot
before it waits for approval; a newer candidate supersedes a holder that is still waiting; a
holder that is already applying keeps the slot until it is done, and the newcomer waits for it.
Requests arrive by Workflow Update (with start, from an activity) and are answered in it; an
answer that comes later (the slot handed on, a newer candidate) goes by signal, as do requests
of updates started before the Workflow Update existed. Which of two candidates is newer is asked
of a local activity, so no policy code runs here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from headwind import names
    from headwind.models import OrderingInput, SlotGrant, SlotRequest

__all__ = ["IDLE_SECONDS", "ContainerSlotWorkflow", "SlotState"]

IDLE_SECONDS = 600
"""An idle slot ends after this long; the next request starts it again."""

PING_HOLDER_PATCH = "ping-holder"
"""Workflow patch id of the check that the holder still runs."""

ONE_IDLE_TIMER_PATCH = "one-idle-timer"
"""Workflow patch id of the idle timer that is started once per idle period, not once per
wake-up: a timer started and cancelled for every signal cost two history events each."""


SLOT_2_PATCH = "slot-2"
"""Workflow patch id standing for both patches above: one marker per run instead of two."""

_WAIT = SlotGrant(granted=False, pending=True)


@dataclass
class SlotState:
    """Carried across continue-as-new."""

    holder: SlotRequest | None = None
    holder_busy: bool = False
    waiter: SlotRequest | None = None
    """At most one: an older waiter is superseded when a newer one arrives."""
    inbox: list[tuple[str, SlotRequest | str]] = field(default_factory=list)


@workflow.defn(name=names.CONTAINER_SLOT_WORKFLOW)
class ContainerSlotWorkflow:
    def __init__(self) -> None:
        self._state = SlotState()
        self._idle_timer: asyncio.Task[None] | None = None
        self._last_mail: datetime | None = None
        self._replies: dict[str, SlotGrant | None] = {}
        """Requests that arrived by Workflow Update and are not answered yet (None)."""
        self._asking: dict[str, int] = {}
        """How many Workflow Updates wait for each of those answers."""
        self._v2 = False

    @workflow.run
    async def run(self, state: SlotState | None = None) -> None:
        if state is not None:
            self._state = state
        self._v2 = workflow.patched(SLOT_2_PATCH)
        one_timer = self._v2 or workflow.patched(ONE_IDLE_TIMER_PATCH)
        self._last_mail = workflow.now()
        while True:
            if one_timer:
                idle = not await self._mail_or_idle()
            else:
                try:
                    await workflow.wait_condition(
                        lambda: bool(self._state.inbox),
                        timeout=IDLE_SECONDS,
                        timeout_summary="idle",
                    )
                    idle = False
                except TimeoutError:
                    idle = True
            if idle:
                if self._state.holder is None and self._state.waiter is None:
                    return
                await self._free_ended_holder()
                continue
            while self._state.inbox:
                kind, payload = self._state.inbox.pop(0)
                await self._handle(kind, payload)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._state)

    async def _mail_or_idle(self) -> bool:
        """True once a signal is in the inbox, False after IDLE_SECONDS without one.

        The timer runs from the last signal; when it fires early (signals came meanwhile) a
        new one covers the rest, so a busy slot starts about one timer per idle period.
        """
        while not self._state.inbox:
            last = self._last_mail or workflow.now()
            remaining = IDLE_SECONDS - (workflow.now() - last).total_seconds()
            if remaining <= 0:
                self._last_mail = workflow.now()  # the next idle period starts now
                return False
            if self._idle_timer is None or self._idle_timer.done():
                self._idle_timer = asyncio.create_task(workflow.sleep(remaining, summary="idle"))
            await workflow.wait_condition(self._mail_or_timer)
        self._last_mail = workflow.now()
        return True

    def _mail_or_timer(self) -> bool:
        return bool(self._state.inbox) or self._idle_timer is None or self._idle_timer.done()

    @workflow.signal(name=names.SLOT_REQUEST)
    def request(self, req: SlotRequest) -> None:
        self._state.inbox.append((names.SLOT_REQUEST, req))

    @workflow.update(name=names.SLOT_ACQUIRE)
    async def acquire(self, req: SlotRequest) -> SlotGrant:
        """A request answered in the same call: granted, superseded, or wait for a signal."""
        asker = req.workflow_id
        if asker not in self._replies:
            self._replies[asker] = None
            self._state.inbox.append((names.SLOT_REQUEST, req))
        # A retried request can arrive while the first still waits: both get the one answer,
        # which is forgotten once the last of them has it.
        self._asking[asker] = self._asking.get(asker, 0) + 1
        try:
            await workflow.wait_condition(lambda: self._replies.get(asker) is not None)
            return self._replies.get(asker) or _WAIT
        finally:
            self._asking[asker] -= 1
            if not self._asking[asker]:
                del self._asking[asker]
                self._replies.pop(asker, None)

    @workflow.signal(name=names.SLOT_BUSY)
    def busy(self, workflow_id: str) -> None:
        self._state.inbox.append((names.SLOT_BUSY, workflow_id))

    @workflow.signal(name=names.SLOT_RELEASE)
    def release(self, workflow_id: str) -> None:
        self._state.inbox.append((names.SLOT_RELEASE, workflow_id))

    @workflow.query
    def holder(self) -> SlotRequest | None:
        return self._state.holder

    async def _handle(self, kind: str, payload: SlotRequest | str) -> None:
        s = self._state
        if kind == names.SLOT_REQUEST and isinstance(payload, SlotRequest):
            await self._on_request(payload)
        elif kind == names.SLOT_BUSY and s.holder is not None and s.holder.workflow_id == payload:
            s.holder_busy = True
        elif kind == names.SLOT_RELEASE:
            if s.holder is not None and s.holder.workflow_id == payload:
                s.holder, s.holder_busy = None, False
                if s.waiter is not None:
                    s.holder, s.waiter = s.waiter, None
                    await self._answer(s.holder, SlotGrant(granted=True))
            elif s.waiter is not None and s.waiter.workflow_id == payload:
                s.waiter = None

    async def _on_request(self, req: SlotRequest) -> None:
        s = self._state
        if s.holder is not None and s.holder.workflow_id == req.workflow_id:
            self._reply(req, SlotGrant(granted=True))  # a retried request
            return
        if s.waiter is not None and s.waiter.workflow_id == req.workflow_id:
            self._reply(req, _WAIT)
            return
        await self._free_ended_holder()
        if s.holder is None:
            s.holder = req
            await self._answer(req, SlotGrant(granted=True))
            return
        await self._contend(req)
        # Whatever was not decided now is answered by signal later.
        self._reply(req, _WAIT)

    async def _contend(self, req: SlotRequest) -> None:
        """The slot is held: the newcomer loses, waits, or waits and supersedes the holder."""
        s = self._state
        assert s.holder is not None
        if not await _wins(req, s.holder):
            await self._answer(req, SlotGrant(granted=False, superseded_by=s.holder.tag))
            return
        if s.waiter is not None:
            if not await _wins(req, s.waiter):
                await self._answer(req, SlotGrant(granted=False, superseded_by=s.waiter.tag))
                return
            await self._answer(s.waiter, SlotGrant(granted=False, superseded_by=req.tag))
        s.waiter = req
        if not s.holder_busy:
            # The holder only waits (interval, approval): it ends Superseded and releases,
            # which hands the slot to the newcomer.
            await self._answer(s.holder, SlotGrant(granted=False, superseded_by=req.tag))

    async def _free_ended_holder(self) -> None:
        """Hand the slot on if its holder ended without releasing it (an operator terminated
        it, it timed out): nobody would ever wait for it to finish.

        Checked when someone asks for the slot and on every idle timeout. Histories recorded
        before this check existed replay without it (`workflow.patched`).
        """
        s = self._state
        if s.holder is None or not (self._v2 or workflow.patched(PING_HOLDER_PATCH)):
            return
        if not await _alive(s.holder):
            s.holder, s.holder_busy = None, False
            if s.waiter is not None:
                s.holder, s.waiter = s.waiter, None
                await self._answer(s.holder, SlotGrant(granted=True))

    async def _answer(self, req: SlotRequest, grant: SlotGrant) -> None:
        if grant.granted and req.busy:
            # It applies as soon as it hears this: from now on it is not to be superseded.
            self._state.holder_busy = True
        if self._reply(req, grant):
            return
        handle = workflow.get_external_workflow_handle(req.workflow_id)
        try:
            await handle.signal(names.SLOT_GRANTED, grant)
        except FailureError:
            # The requester has ended (for example terminated by an operator): free its place.
            s = self._state
            if s.holder is not None and s.holder.workflow_id == req.workflow_id and grant.granted:
                s.holder, s.holder_busy = None, False

    def _reply(self, req: SlotRequest, grant: SlotGrant) -> bool:
        """Answer a request still waiting in its Workflow Update; False if there is none."""
        if req.workflow_id in self._replies and self._replies[req.workflow_id] is None:
            self._replies[req.workflow_id] = grant
            return True
        return False


async def _alive(req: SlotRequest) -> bool:
    """Whether the requester still runs: a signal to an ended workflow fails."""
    try:
        await workflow.get_external_workflow_handle(req.workflow_id).signal(names.SLOT_PING)
    except FailureError:
        return False
    return True


async def _wins(req: SlotRequest, over: SlotRequest) -> bool:
    if req.preempt:
        return True
    newer: bool = await workflow.execute_local_activity(
        names.IS_NEWER,
        OrderingInput(candidate=req, than=over),
        result_type=bool,
        start_to_close_timeout=timedelta(seconds=10),
    )
    return newer
