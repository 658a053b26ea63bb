"""`HEADWIND_LOG_FORMAT`: one JSON object per line for collectors, text for people."""

from __future__ import annotations

import json
import logging

import pytest

from headwind.settings import LogFormat, Settings
from worker import logs


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "headwind.transitions", "levelname": "INFO"})
    record.msg, record.args = "applied %s", ("web",)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param({}, {}, id="plain"),
        pytest.param(
            {"workload": "Deployment/shop/web", "image": "r/web:1.1"},
            {"workload": "Deployment/shop/web", "image": "r/web:1.1"},
            id="caller extras",
        ),
        pytest.param(
            {"temporal_workflow": {"workflow_id": "headwind-update/x", "workflow_type": "Update"}},
            {"workflow_id": "headwind-update/x", "workflow_type": "Update"},
            id="workflow context flattened",
        ),
        pytest.param(
            {"temporal_activity": {"activity_type": "apply", "workflow_id": "headwind-update/y"}},
            {"activity_type": "apply", "workflow_id": "headwind-update/y"},
            id="activity context flattened",
        ),
    ],
)
def test_json_lines(extra: dict[str, object], expected: dict[str, object]) -> None:
    line = json.loads(logs.JsonFormatter().format(_record(**extra)))
    assert line["level"] == "info"
    assert line["logger"] == "headwind.transitions"
    assert line["message"] == "applied web"
    assert {key: line[key] for key in expected} == expected
    assert "temporal_workflow" not in line


@pytest.mark.parametrize(
    ("fmt", "is_json"),
    [pytest.param(LogFormat.JSON, True, id="json"), pytest.param(LogFormat.TEXT, False, id="text")],
)
def test_configure_installs_one_handler(fmt: LogFormat, is_json: bool) -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        logs.configure(Settings(log_format=fmt))
        (handler,) = root.handlers
        assert isinstance(handler.formatter, logs.JsonFormatter) == is_json
    finally:
        root.handlers[:], root.level = saved, level
