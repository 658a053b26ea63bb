"""Starting and stopping the environment's processes, with PID files that cannot lie.

Each process runs in its own session (so Ctrl-C in the terminal reaches `headwind dev up` only,
which then stops everything in order), logs to `<state>/logs/<name>.log`, and gets a PID file
holding its PID *and* its kernel start time. `down` kills a PID only when both still match, so a
PID recycled by an unrelated process after a reboot or a crash is never touched, and nothing is
ever killed by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from headwind_dev import settings

__all__ = [
    "PidRecord",
    "ProcessSpec",
    "Started",
    "alive",
    "read_record",
    "records",
    "start",
    "stop",
]


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one long-lived process of the environment."""

    name: str
    """Also the name of its log file and PID file."""
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    """Added to the environment of `headwind dev up`."""
    cwd: Path | None = None
    stop_timeout: float = 15.0
    """Seconds between SIGTERM and SIGKILL."""


@dataclass(frozen=True)
class PidRecord:
    """The content of a PID file."""

    name: str
    pid: int
    start_ticks: int
    """Field 22 of /proc/<pid>/stat: with the PID, identifies the process for its lifetime."""
    argv: list[str]
    started_at: float
    stop_timeout: float = 15.0


@dataclass
class Started:
    """A process started by this `up`: its record, and its Popen to reap it and read its exit."""

    record: PidRecord
    popen: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def exited(self) -> int | None:
        """The exit status if the process has ended, else None."""
        if self.popen is not None:
            return self.popen.poll()
        return None if alive(self.record) else -1


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses; fields after it may not.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has exited already; only its exit status is left
        return None
    return int(fields[19])


def alive(record: PidRecord) -> bool:
    """True only if the very process the record was written for is still running."""
    return _start_ticks(record.pid) == record.start_ticks


def start(spec: ProcessSpec, layout: settings.Layout) -> Started:
    """Starts the process detached from the terminal and writes its PID file."""
    layout.logs.mkdir(parents=True, exist_ok=True)
    layout.run.mkdir(parents=True, exist_ok=True)
    log_path = layout.log(spec.name)
    with log_path.open("ab") as log:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        log.write(f"\n==== {stamp} headwind dev: starting {' '.join(spec.argv)}\n".encode())
        log.flush()
        popen = subprocess.Popen(
            spec.argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=spec.cwd,
            env={**os.environ, **spec.env},
            start_new_session=True,
        )
    ticks = _start_ticks(popen.pid)
    record = PidRecord(
        name=spec.name,
        pid=popen.pid,
        start_ticks=ticks if ticks is not None else -1,
        argv=list(spec.argv),
        started_at=time.time(),
        stop_timeout=spec.stop_timeout,
    )
    _write_record(layout.pid_file(spec.name), record)
    return Started(record=record, popen=popen, log=log_path)


def _write_record(path: Path, record: PidRecord) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    tmp.replace(path)


def read_record(layout: settings.Layout, name: str) -> PidRecord | None:
    path = layout.pid_file(name)
    try:
        return PidRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def records(layout: settings.Layout) -> list[PidRecord]:
    """Every PID file in the state directory, oldest first (the order they were started in)."""
    found = []
    for path in layout.run.glob("*.pid"):
        record = read_record(layout, path.stem)
        if record is not None:
            found.append(record)
    return sorted(found, key=lambda record: record.started_at)


def stop(record: PidRecord, layout: settings.Layout) -> bool:
    """Stops the recorded process (SIGTERM, then SIGKILL) and removes its PID file.

    Returns True if it was running. Signals go to the process group the process leads (each
    was started in its own session), so helpers it spawned stop with it.
    """
    was_alive = alive(record)
    if was_alive:
        _signal(record, signal.SIGTERM)
        deadline = time.monotonic() + record.stop_timeout
        while alive(record) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(record):
            _signal(record, signal.SIGKILL)
            while alive(record) and time.monotonic() < deadline + 5:
                time.sleep(0.1)
    with contextlib.suppress(FileNotFoundError):
        layout.pid_file(record.name).unlink()
    return was_alive


def _signal(record: PidRecord, signum: signal.Signals) -> None:
    # Checked right before signalling: the group is only ours if our process still leads it.
    if not alive(record):
        return
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(record.pid) == record.pid:
            os.killpg(record.pid, signum)
        else:
            os.kill(record.pid, signum)
