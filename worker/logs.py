"""Log lines for people or for collectors: `HEADWIND_LOG_FORMAT` is `text` or `json`.

JSON is one object per line with the time, level, logger and message, plus what the line is
about where the code knows it: the `extra` fields a caller passed (`workload`, `image`, …) and
the workflow and activity that Temporal's SDK loggers attach, flattened to `workflow_id`,
`workflow_type`, `run_id`, `activity_type`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from headwind.settings import LogFormat, Settings

__all__ = ["JsonFormatter", "configure"]

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
_TEMPORAL_KEYS = {
    "workflow_id": "workflow_id",
    "workflow_type": "workflow_type",
    "run_id": "run_id",
    "activity_type": "activity_type",
    "activity_id": "activity_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            if key in ("temporal_workflow", "temporal_activity") and isinstance(value, dict):
                for inner, name in _TEMPORAL_KEYS.items():
                    if inner in value:
                        line[name] = value[inner]
                continue
            line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(settings: Settings) -> None:
    """Set up the root logger for a Headwind process."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.value.upper())
    # httpx logs every request at INFO: under polling, one line per registry call drowns the
    # log. Registry answers are counted in `headwind_registry_requests_total` instead.
    if settings.log_level.value.upper() != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)
