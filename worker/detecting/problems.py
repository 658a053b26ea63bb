"""Bad annotations become a Warning Event, a metric and a log line: once per problem set.

A Deployment's status changes with every pod that starts, and each change is a watch event;
reporting on every event would bury the owner's `kubectl describe` in copies. So a workload is
reported when its set of problems *changes* (a new typo, or a second one), and forgotten when
the set becomes empty or the workload goes, so the same typo made again later is reported again.

Only the leader reports: with several replicas, each watching, every Event and counter would
otherwise be multiplied by the replica count. A replica that becomes leader reports what it
finds in its index; the Event names are deterministic (`clients.kube.events`), so problems
the previous leader already reported do not get a second Event.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable

from headwind.index import WatchedWorkload
from headwind.models import WorkloadRef

__all__ = ["REASON", "ProblemLedger", "ProblemReporter", "describe", "log_line", "problem_key"]

log = logging.getLogger("headwind.annotations")

REASON = "HeadwindBadAnnotation"
"""The Event reason (`kubectl get events --field-selector reason=HeadwindBadAnnotation`)."""


def problem_key(watched: WatchedWorkload) -> str:
    """Identifies one problem set of one incarnation of a workload (its UID)."""
    text = "\n".join(sorted(str(problem) for problem in watched.problems))
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{watched.uid}/{digest}" if watched.problems else ""


class ProblemLedger:
    """What was last reported per workload; says whether a new observation is news."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reported: dict[WorkloadRef, str] = {}

    def is_news(self, watched: WatchedWorkload) -> bool:
        """True when `watched` has problems not reported in this form before (and records it)."""
        key = problem_key(watched)
        with self._lock:
            if not key:
                self._reported.pop(watched.workload, None)
                return False
            if self._reported.get(watched.workload) == key:
                return False
            self._reported[watched.workload] = key
            return True

    def unmark(self, workload: WorkloadRef) -> None:
        """Forget a report (it failed, or the workload went): the next observation is news."""
        with self._lock:
            self._reported.pop(workload, None)

    def clear(self) -> None:
        with self._lock:
            self._reported.clear()


Emit = Callable[[WatchedWorkload], bool]
"""Reports one workload's problems; False when it could not (try again on the next event)."""


class ProblemReporter:
    """Feeds watch observations through the ledger to `emit`, on the leader only."""

    def __init__(self, emit: Emit, *, is_leader: Callable[[], bool]) -> None:
        self._emit = emit
        self._is_leader = is_leader
        self.ledger = ProblemLedger()

    def observe(self, watched: WatchedWorkload) -> None:
        if not watched.problems:
            self.ledger.unmark(watched.workload)
            return
        if not self._is_leader() or not self.ledger.is_news(watched):
            return
        if not self._emit(watched):
            self.ledger.unmark(watched.workload)

    def forget(self, workload: WorkloadRef) -> None:
        self.ledger.unmark(workload)

    def leadership_changed(self, leading: bool, current: Iterable[WatchedWorkload]) -> None:
        """On gaining leadership report what the index holds; on losing it, forget."""
        self.ledger.clear()
        if leading:
            for watched in current:
                self.observe(watched)


def describe(watched: WatchedWorkload) -> str:
    """The Event message: every problem, one per line."""
    return "\n".join(str(problem) for problem in watched.problems)


def log_line(watched: WatchedWorkload) -> str:
    """One structured log record, like the audit and transition records."""
    return json.dumps(
        {
            "event": "bad-annotation",
            "workload": str(watched.workload),
            "problems": [
                {"key": p.key, "value": p.value, "message": p.message, "used": p.used}
                for p in watched.problems
            ],
        }
    )
