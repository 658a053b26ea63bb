"""Bringing components up in dependency order, in parallel where the order allows.

One thread per component waits for its dependencies to be ready, prepares, starts the process
(unless a live one from an earlier `up` is already there, which is reused), and polls its
readiness. The first failure cancels everyone else's wait and is raised with the log to read.
On two cores the parallelism matters: Temporal, etcd, the registries and the small services
start while the control plane comes up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from headwind_dev import processes, settings, waiting
from headwind_dev.components import Component

__all__ = ["Cancelled", "Progress", "bring_up"]


class Cancelled(Exception):
    """Another component failed (or the user interrupted); this one stops waiting."""


@dataclass
class Progress:
    """What `bring_up` did, also when it failed half-way (so the caller can clean up)."""

    started: dict[str, processes.Started] = field(default_factory=dict)
    """Processes this call started (not the reused ones), in start order."""
    reused: list[str] = field(default_factory=list)
    ready_after: dict[str, float] = field(default_factory=dict)
    """Seconds from the start of `bring_up` until each component was ready."""


def _check_graph(components: Sequence[Component]) -> None:
    names = {component.name for component in components}
    for component in components:
        unknown = set(component.depends_on) - names
        if unknown:
            raise ValueError(f"{component.name} depends on unknown {sorted(unknown)}")


def bring_up(
    components: Sequence[Component],
    layout: settings.Layout,
    progress: Progress,
    report: Callable[[str], None],
) -> None:
    """Starts every component; raises the first `waiting.StartupError` (or other error)."""
    _check_graph(components)
    ready = {component.name: threading.Event() for component in components}
    failed = threading.Event()
    errors: list[BaseException] = []
    lock = threading.Lock()
    began = time.monotonic()

    def guard() -> None:
        if failed.is_set():
            raise Cancelled

    def run(component: Component) -> None:
        try:
            for dependency in component.depends_on:
                while not ready[dependency].wait(0.1):
                    guard()
            guard()
            handle = _start(component, layout, progress, lock, report)
            if component.ready is not None:
                check = component.ready

                def guarded_check() -> None:
                    guard()
                    check()

                waiting.until_ready(
                    component.name,
                    guarded_check,
                    timeout=component.timeout,
                    log=handle.log if handle else None,
                    exited=handle.exited if handle else None,
                )
            elapsed = time.monotonic() - began
            with lock:
                progress.ready_after[component.name] = elapsed
            report(f"{component.name:<24} ready after {elapsed:5.1f}s")
            ready[component.name].set()
        except Cancelled:
            pass
        except BaseException as error:
            with lock:
                errors.append(error)
            failed.set()

    threads = [
        threading.Thread(target=run, args=(component,), name=f"up-{component.name}", daemon=True)
        for component in components
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            # A timed join keeps the main thread responsive to Ctrl-C.
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        failed.set()
        for thread in threads:
            thread.join(10)
        raise
    if errors:
        raise errors[0]


def _start(
    component: Component,
    layout: settings.Layout,
    progress: Progress,
    lock: threading.Lock,
    report: Callable[[str], None],
) -> processes.Started | None:
    if component.process is None:
        if component.prepare is not None:
            component.prepare()
        return None
    existing = processes.read_record(layout, component.name)
    if existing is not None and processes.alive(existing):
        with lock:
            progress.reused.append(component.name)
        report(f"{component.name:<24} already running (pid {existing.pid})")
        return processes.Started(record=existing, log=layout.log(component.name))
    if component.prepare is not None:
        component.prepare()
    spec = component.process()
    handle = processes.start(spec, layout)
    with lock:
        progress.started[component.name] = handle
    report(f"{component.name:<24} started (pid {handle.record.pid}), log {handle.log}")
    return handle
