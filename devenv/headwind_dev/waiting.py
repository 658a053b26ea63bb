"""Polling until a component is healthy, and errors that say where to look when it is not.

A readiness check raises `NotReady` (with the reason it is not ready yet) until the component
answers. `until_ready` polls it, gives up at a deadline or as soon as the process exits, and
raises `StartupError` naming the component, the last reason and the log file, with its tail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["NotReady", "StartupError", "log_tail", "until_ready"]


class NotReady(Exception):
    """Raised by a readiness check while the component is still coming up."""


class StartupError(RuntimeError):
    """A component failed to start or did not become ready in time."""


def log_tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.is_file():
        return ""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 16384))
        text = handle.read().decode(errors="replace")
    tail = text.splitlines()[-lines:]
    return "\n".join("    " + line for line in tail)


def failure(name: str, problem: str, log: Path | None) -> StartupError:
    message = f"{name}: {problem}"
    if log is not None:
        message += f"\n  log: {log}"
        tail = log_tail(log)
        if tail:
            message += f"\n  last lines:\n{tail}"
    return StartupError(message)


def until_ready(
    name: str,
    check: Callable[[], None],
    *,
    timeout: float,
    log: Path | None = None,
    exited: Callable[[], int | None] | None = None,
    interval: float = 0.25,
    max_interval: float = 2.0,
) -> None:
    """Calls `check` until it stops raising `NotReady`; raises `StartupError` on timeout/exit."""
    deadline = time.monotonic() + timeout
    reason = "no answer yet"
    while True:
        if exited is not None:
            status = exited()
            if status is not None:
                raise failure(name, f"exited with status {status} while starting", log)
        try:
            check()
        except NotReady as not_ready:
            reason = str(not_ready) or reason
        else:
            return
        if time.monotonic() >= deadline:
            raise failure(name, f"not ready after {timeout:.0f}s: {reason}", log)
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)
