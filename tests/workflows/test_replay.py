"""Replays recorded workflow histories: a change that breaks determinism fails here.

The histories under `histories/` come from the workflow tests, recorded with
`HEADWIND_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflows` (see recording.py). Re-record
them only for an intended, versioned change of workflow code; never to make this test pass.
Every workflow type the worker registers needs at least one: a workflow without a recorded
history has no replay protection at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.recording import HISTORIES as HISTORY_DIR
from worker import serving

HISTORIES = sorted(HISTORY_DIR.glob("*.json"))


def type_name(cls: type) -> str:
    """The name a `@workflow.defn` class is registered under (none only for dynamic ones)."""
    name = workflow._Definition.must_from_class(cls).name
    assert name is not None, f"{cls.__name__} is a dynamic workflow"
    return name


REGISTERED = sorted(type_name(cls) for cls in serving.WORKFLOWS)


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def workflow_type(history: WorkflowHistory) -> str:
    started = history.events[0].workflow_execution_started_event_attributes
    return started.workflow_type.name


@pytest.mark.parametrize("name", REGISTERED)
def test_every_workflow_type_has_a_recorded_history(name: str) -> None:
    recorded = {workflow_type(load(path)) for path in HISTORIES}
    assert name in recorded, (
        f"no history of {name}: record one with HEADWIND_RECORD_HISTORIES=1 pytest tests/workflows"
    )


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replay(path: Path) -> None:
    replayer = Replayer(
        workflows=list(serving.WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=serving.workflow_runner(),
    )
    await replayer.replay_workflow(load(path))
