"""Leader-only work on the event loop: started on gaining the Lease, cancelled on losing it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from worker.detecting import leadership as leadership_module
from worker.detecting.leadership import Leadership


class FakeElector:
    """The part of `LeaderElector` the adapter uses; `flip` plays the elector's thread."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[bool], None]] = []
        self.leading = False

    @property
    def identity(self) -> str:
        return "me"

    def add_listener(self, listener: Callable[[bool], None]) -> None:
        self.listeners.append(listener)

    @property
    def is_leader(self) -> bool:
        return self.leading

    def flip(self, leading: bool) -> None:
        self.leading = leading
        for listener in self.listeners:
            listener(leading)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_work_runs_only_while_leading() -> None:
    elector = FakeElector()
    lead = Leadership(elector)
    runs: list[str] = []

    async def work() -> None:
        runs.append("started")
        try:
            await asyncio.Event().wait()
        finally:
            runs.append("stopped")

    task = asyncio.create_task(lead.run_while_leading(work, name="test work"))
    await _settle()
    assert runs == []
    assert not lead.is_leader

    elector.flip(True)
    await _settle()
    assert runs == ["started"]
    assert lead.is_leader

    elector.flip(False)
    await _settle()
    assert runs == ["started", "stopped"]

    elector.flip(True)
    await _settle()
    assert runs == ["started", "stopped", "started"]

    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert runs[-1] == "stopped", "shutdown cancels the work too"


async def test_work_that_fails_while_leading_is_restarted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leadership_module, "RESTART_DELAY", 0)
    elector = FakeElector()
    lead = Leadership(elector)
    attempts = 0

    async def work() -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise RuntimeError("boom")
        await asyncio.Event().wait()

    elector.flip(True)
    task = asyncio.create_task(lead.run_while_leading(work))
    for _ in range(50):
        await asyncio.sleep(0)
    assert attempts == 3
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_replica_that_does_not_campaign_never_leads() -> None:
    lead = Leadership.never()
    assert not lead.is_leader
    assert lead.identity is None
