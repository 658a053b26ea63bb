"""Records workflow histories for test_replay.py when `HEADWIND_RECORD_HISTORIES` is set.

The workflow tests call `record` for every workflow whose history is worth replaying; without
the variable it does nothing, so the committed files only change when someone asks for it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

__all__ = ["HISTORIES", "record"]

HISTORIES = Path(__file__).parent / "histories"

_SETTLE_SECONDS = 20.0


async def record(handle: WorkflowHandle[Any, Any], label: str) -> None:
    """Write the history of `handle` as `histories/<test>-<label>.json`, when asked to."""
    if not os.environ.get("HEADWIND_RECORD_HISTORIES"):
        return
    await _settle(handle)
    history = await handle.fetch_history()
    test = os.environ["PYTEST_CURRENT_TEST"].split("::")[-1].split(" ")[0]
    (HISTORIES / f"{test}-{label}.json").write_text(history.to_json())


async def _settle(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait until no workflow task is pending, so a long-running workflow's history ends whole.

    A slot outlives the test that used it: a signal sent just before the test ended may not be
    handled yet, and a history cut inside that task would replay less than it shows.
    """
    deadline = asyncio.get_running_loop().time() + _SETTLE_SECONDS
    while True:
        description = await handle.describe()
        if not description.raw_description.HasField("pending_workflow_task"):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{handle.id}: a workflow task is still pending")
        await asyncio.sleep(0.1)
