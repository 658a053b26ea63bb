"""Leadership as asyncio code sees it: a flag, waits, and work that runs only while leading.

The elector (`clients.kube.leases.LeaderElector`) runs in a thread and calls its listeners
there; this adapter moves the news onto the event loop. Once-per-cluster work (the polling
driver, anything that proposes updates from watch events) is started with
`run_while_leading`, which starts it when this replica gains the Lease and cancels it when the
replica loses it, so two replicas never run it at once.

    leadership = detector_handle.leadership
    tasks.append(asyncio.create_task(leadership.run_while_leading(poller.run, name="poller")))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = ["Elector", "Leadership"]

log = logging.getLogger("headwind.leader")

RESTART_DELAY = 5.0
"""Seconds before leader-only work that ended on its own (a bug, a crash) is started again."""


class Elector(Protocol):
    """What the adapter needs of `clients.kube.leases.LeaderElector`."""

    @property
    def identity(self) -> str: ...
    @property
    def is_leader(self) -> bool: ...
    def add_listener(self, listener: Callable[[bool], None]) -> None: ...


class Leadership:
    """Whether this replica leads, for coroutines on one event loop."""

    def __init__(self, elector: Elector | None = None) -> None:
        self._elector = elector
        self._leading = asyncio.Event()
        self._lost = asyncio.Event()
        self._lost.set()
        self._loop = asyncio.get_running_loop()
        if elector is not None:
            elector.add_listener(self._from_thread)

    @classmethod
    def never(cls) -> Leadership:
        """For a replica that does not campaign (`headwind api`): leader-only work never runs."""
        return cls(None)

    @property
    def is_leader(self) -> bool:
        if self._elector is not None:
            return self._elector.is_leader
        return self._leading.is_set()

    @property
    def identity(self) -> str | None:
        return self._elector.identity if self._elector is not None else None

    def _from_thread(self, leading: bool) -> None:
        self._loop.call_soon_threadsafe(self._set, leading)

    def _set(self, leading: bool) -> None:
        if leading:
            self._lost.clear()
            self._leading.set()
        else:
            self._leading.clear()
            self._lost.set()

    async def wait_leading(self) -> None:
        await self._leading.wait()

    async def wait_lost(self) -> None:
        await self._lost.wait()

    async def run_while_leading(
        self, work: Callable[[], Awaitable[None]], *, name: str = "leader-only work"
    ) -> None:
        """Run `work()` whenever this replica leads; cancel it on losing the lead. Runs until
        cancelled itself (at shutdown), so start it as a task next to the others."""
        while True:
            await self.wait_leading()
            log.info("leading: starting %s", name)
            task = asyncio.ensure_future(work())
            lost = asyncio.ensure_future(self.wait_lost())
            try:
                await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                lost.cancel()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task  # its own failure is logged below; shutdown must not stop here
            if not task.cancelled() and task.exception() is not None:
                log.error("%s failed while leading", name, exc_info=task.exception())
            if self._lost.is_set():
                log.info("not leading any more: %s stopped", name)
                continue
            await asyncio.sleep(RESTART_DELAY)  # it ended on its own while leading: no spin
