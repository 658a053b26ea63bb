"""Replays recorded workflow histories: a change that breaks determinism fails here.

The histories under `histories/` come from the workflow tests, recorded with
`HEADWIND_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflows`. Re-record them only for an
intended, versioned change of workflow code; never to make this test pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import serving

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_recorded() -> None:
    assert len(HISTORIES) >= 8, (
        "record histories: HEADWIND_RECORD_HISTORIES=1 pytest tests/workflows"
    )


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replay(path: Path) -> None:
    replayer = Replayer(
        workflows=list(serving.WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=serving.workflow_runner(),
    )
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer.replay_workflow(history)
