"""Decisions written to UpdateRequests, forwarded to their update workflows (leader only).

A user with RBAC on UpdateRequests approves or rejects by writing `spec.decision`
(`kubectl headwind approve`); the apiserver's admission policy has already checked that the
decision's `by` is that user. The decider watches UpdateRequests and sends each new decision
to the workflow through the same Workflow Update as REST and Slack, so the workflow stays the
source of truth and the mirror shows its answer. It then records in `status.decisionOutcome`
whether the decision was accepted (and in `status.observedGeneration` the generation it read),
so a restart or a relist never sends it twice: a decision is written once, one outcome answers
it.
A decision the workflow refuses (the request is no longer Pending) is answered in the status
message and a Warning Event on the workload, and changes nothing.

One decider runs, on the leader: two would race to forward the same decision.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client

from api import audit
from clients.kube import events, requests, watching
from clients.kube.client import TRANSPORT_ERRORS, Kube, KubeError
from clients.temporal import operations
from headwind.models import ApprovalIn, RejectIn, UpdateStatus
from headwind.settings import Settings

__all__ = ["Decider", "forward"]

log = logging.getLogger("headwind.deciding")

JsonObj = dict[str, Any]

_TROUBLE: tuple[type[Exception], ...] = (KubeError, *TRANSPORT_ERRORS)

RETRY_DELAY = 10.0
"""Seconds before a decision Temporal could not take is sent again."""

Forward = Callable[[requests.UpdateRequest, requests.Decision], Awaitable[UpdateStatus]]


async def forward(
    client: Client, request: requests.UpdateRequest, decision: requests.Decision
) -> UpdateStatus:
    """Send `decision` to the request's workflow, as the user the admission policy checked."""
    if decision.action is requests.Action.APPROVE:
        return await operations.approve(
            client, request.namespace, request.name, ApprovalIn(approver=decision.by)
        )
    return await operations.reject(
        client,
        request.namespace,
        request.name,
        RejectIn(approver=decision.by, reason=decision.reason),
    )


class _Relay:
    """Hands the watcher's objects (its thread) to the decider's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[JsonObj]) -> None:
        self._loop = loop
        self._queue = queue

    def listed(self, objects: list[JsonObj]) -> None:
        for obj in objects:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, obj)

    def changed(self, event_type: str, obj: JsonObj) -> None:
        if event_type != "DELETED":
            self._loop.call_soon_threadsafe(self._queue.put_nowait, obj)


class Decider:
    """Watches UpdateRequests and forwards each new decision once."""

    def __init__(self, settings: Settings, forward: Forward, *, kube: Kube | None = None) -> None:
        self._settings = settings
        self._forward = forward
        self._kube = kube
        self._handled: set[tuple[str, str, str]] = set()
        """Decisions answered by this process, by namespace, name and UID: the watch may
        deliver the object again before the answer written to its status shows."""
        self._busy: set[tuple[str, str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Watch (one watch per watched namespace, or one cluster-wide) until cancelled."""
        kube = self._kube
        if kube is None:
            kube = await asyncio.to_thread(Kube.from_settings, self._settings, retries=False)
        queue: asyncio.Queue[JsonObj] = asyncio.Queue()
        relay = _Relay(asyncio.get_running_loop(), queue)
        scopes: list[str | None] = [*self._settings.watch_namespaces] or [None]
        watchers = [
            watching.Watcher(
                kube,
                requests.collection_path(scope),
                relay,
                name=f"updaterequests in {scope or 'all namespaces'}",
            )
            for scope in scopes
        ]
        for watcher in watchers:
            threading.Thread(target=watcher.run, name=watcher.name, daemon=True).start()
        try:
            while True:
                self.consider(kube, await queue.get())
        finally:
            for watcher in watchers:
                watcher.stop()
            for task in self._tasks:
                task.cancel()
            if self._kube is None:
                kube.close()

    @property
    def pending(self) -> tuple[asyncio.Task[None], ...]:
        """Decisions being forwarded now."""
        return tuple(self._tasks)

    def consider(self, kube: Kube, obj: JsonObj) -> None:
        """Start handling the object's decision unless it is handled or being handled."""
        request = requests.UpdateRequest.from_object(obj)
        decision = request.undecided_decision
        key = (request.namespace, request.name, request.uid)
        if decision is None or key in self._busy or key in self._handled:
            return
        self._busy.add(key)
        task = asyncio.create_task(self._handle(kube, request, decision))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(
        self, kube: Kube, request: requests.UpdateRequest, decision: requests.Decision
    ) -> None:
        key = (request.namespace, request.name, request.uid)
        try:
            answer = await self._decide(request, decision)
            while True:
                try:
                    await asyncio.to_thread(
                        requests.answer,
                        kube,
                        request.namespace,
                        request.name,
                        generation=request.generation,
                        outcome=requests.Outcome.IGNORED if answer else requests.Outcome.ACCEPTED,
                        message=answer,
                    )
                    break
                except _TROUBLE as error:
                    if isinstance(error, KubeError) and error.permanent:
                        log.warning("cannot answer %s/%s: %s", *key[:2], error)
                        break
                    await asyncio.sleep(RETRY_DELAY)
            if answer:
                await asyncio.to_thread(self._warn, kube, request, decision, answer)
            self._handled.add(key)
        finally:
            self._busy.discard(key)

    async def _decide(
        self, request: requests.UpdateRequest, decision: requests.Decision
    ) -> str | None:
        """Forward until Temporal takes it; the refusal to put in the status, or None."""
        target = f"{request.namespace}/{request.name}"
        action = decision.action.value
        while True:
            try:
                result = await self._forward(request, decision)
            except (operations.TemporalUnavailableError, operations.DeadlineExceededError) as exc:
                if isinstance(exc, operations.DeadlineExceededError) and exc.recorded:
                    self._audit(action, decision, target, "recorded")
                    return None
                log.warning("%s of %s by %s not taken yet: %s", action, target, decision.by, exc)
                await asyncio.sleep(RETRY_DELAY)
                continue
            except (operations.WrongPhaseError, operations.NotFoundError) as exc:
                outcome = "refused" if isinstance(exc, operations.WrongPhaseError) else "not-found"
                self._audit(action, decision, target, outcome)
                return f"{action} by {decision.by} changed nothing: {exc}"
            self._audit(action, decision, target, result.phase.value)
            return None

    def _audit(self, action: str, decision: requests.Decision, target: str, outcome: str) -> None:
        audit.record_external(
            action,
            actor=decision.by,
            target=target,
            outcome=outcome,
            decision_reason=decision.reason,
            via="kubernetes",
        )

    def _warn(
        self,
        kube: Kube,
        request: requests.UpdateRequest,
        decision: requests.Decision,
        message: str,
    ) -> None:
        if request.workload is None:
            return
        try:
            events.warn(
                kube,
                request.workload,
                uid="",
                reason="DecisionIgnored",
                message=f"UpdateRequest {request.name}: {message}",
                key=f"{request.workflow_id}/decision/{request.generation}",
            )
        except _TROUBLE as error:
            log.warning("no Event for the ignored decision on %s: %s", request.name, error)
