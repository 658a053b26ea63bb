"""What a component of the environment is: an optional process, set-up, and a readiness check.

Each module (`temporal`, `kube`, `kwok`, `registry`, ...) describes its parts as `Component`s;
`orchestration` starts them in dependency order, in parallel where it can. A component without
a process is a task (installing CRDs, creating nodes) that runs once its dependencies are ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from headwind_dev import processes

__all__ = ["Component"]


@dataclass(frozen=True)
class Component:
    """One part of the environment."""

    name: str
    """Also the name of the log and PID files when there is a process."""
    depends_on: tuple[str, ...] = ()
    """Components that must be ready before this one is prepared and started."""
    process: Callable[[], processes.ProcessSpec] | None = None
    """Built only once the dependencies are ready (it may need their files)."""
    prepare: Callable[[], None] | None = None
    """Runs once before the process starts (config files, certificates) or as the task itself.

    Skipped when the process is already running from an earlier `up`."""
    ready: Callable[[], None] | None = None
    """Polled until it stops raising `waiting.NotReady`."""
    timeout: float = 90.0
    """Seconds `ready` may take; generous because 2 cores start everything at once."""
    url: str | None = None
    """Shown by `status` next to the process."""
