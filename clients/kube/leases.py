"""Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection` does it.

Every replica watches and indexes (the API needs the index to match webhooks), but some work
must happen once per cluster: driving the pollers, reporting bad annotations. The replicas
compete for one Lease; the holder writes its identity and renews it every `retry_period`, the
others may take it over only after they have seen the same record, unchanged, for the lease's
duration. Every write carries the resourceVersion that was read, so two candidates racing for
an expired lease cannot both win: the second write gets 409.

Like client-go, expiry is judged by the *local* time at which a record was first observed, not
by the timestamps written in it, so clock skew between nodes cannot make a lease look expired.
A leader that cannot renew within `renew_deadline` steps down before its lease could expire in
the eyes of the others (10s < 15s), so two leaders never overlap while clocks run at one rate.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from clients.kube.client import TRANSPORT_ERRORS, Conflict, KubeError, NotFound

__all__ = [
    "ElectionTiming",
    "LeaderElector",
    "LeaseRecord",
    "LeaseSource",
    "default_identity",
    "lease_path",
    "may_take",
    "pod_namespace",
]

log = logging.getLogger("headwind.leader")

JsonObj = dict[str, Any]
_TROUBLE: tuple[type[Exception], ...] = (KubeError, *TRANSPORT_ERRORS)


class LeaseSource(Protocol):
    """What the elector needs of a client (`clients.kube.client.Kube` is one)."""

    def request(self, method: str, path: str, body: Any = None, *, timeout: float = 30) -> JsonObj:
        """Raise `NotFound`, `Conflict` or `KubeError` for 404, 409 and other refusals."""


@dataclass(frozen=True)
class ElectionTiming:
    """client-go's defaults; shorter values only in tests."""

    lease_duration: float = 15.0
    """How long others wait, after last seeing the lease change, before taking it over."""
    renew_deadline: float = 10.0
    """How long a leader keeps trying to renew before it steps down; below `lease_duration`."""
    retry_period: float = 2.0
    """Time between two attempts to acquire or renew."""


@dataclass(frozen=True)
class LeaseRecord:
    """The election fields of a Lease object."""

    holder: str
    """Identity of the current leader; empty when the lease was released."""
    lease_duration_seconds: int
    acquire_time: str | None
    renew_time: str | None
    transitions: int
    resource_version: str

    @classmethod
    def from_lease(cls, obj: Mapping[str, Any]) -> LeaseRecord:
        spec = obj.get("spec") or {}
        metadata = obj.get("metadata") or {}
        return cls(
            holder=str(spec.get("holderIdentity") or ""),
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=spec.get("acquireTime"),
            renew_time=spec.get("renewTime"),
            transitions=int(spec.get("leaseTransitions") or 0),
            resource_version=str(metadata.get("resourceVersion") or ""),
        )


def may_take(record: LeaseRecord | None, identity: str, observed_at: float, now: float) -> bool:
    """Whether `identity` may write itself into the lease at `now` (local monotonic seconds).

    Free (no lease, or released), already ours, or unchanged for its whole duration since we
    first saw this version of it.
    """
    if record is None or not record.holder or record.holder == identity:
        return True
    return now >= observed_at + record.lease_duration_seconds


def default_identity() -> str:
    """Host name (the pod name in a cluster), PID, and a random part for restarts in place."""
    return f"{socket.gethostname()}_{os.getpid()}_{secrets.token_hex(3)}"


def lease_path(namespace: str, name: str | None = None) -> str:
    path = f"/apis/coordination.k8s.io/v1/namespaces/{quote(namespace, safe='')}/leases"
    return f"{path}/{quote(name, safe='')}" if name else path


def _micro_time(moment: datetime) -> str:
    """The Lease's MicroTime format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Campaigns for one Lease until `stop`; `is_leader` and listeners tell who leads."""

    def __init__(
        self,
        source: LeaseSource,
        *,
        namespace: str,
        name: str,
        identity: str | None = None,
        timing: ElectionTiming = ElectionTiming(),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if timing.renew_deadline >= timing.lease_duration:
            raise ValueError("renew_deadline must be shorter than lease_duration")
        self._source = source
        self.namespace = namespace
        self.name = name
        self.identity = identity or default_identity()
        self._timing = timing
        self._monotonic = monotonic
        self._observed: LeaseRecord | None = None
        self._observed_at = 0.0
        self._renewed_at = float("-inf")
        # One attempt is a GET and a PUT; bounding each keeps a hung apiserver from holding
        # the renew loop past its deadline.
        self._request_timeout = timing.renew_deadline / 4
        self._stopping = threading.Event()
        self._listeners: list[Callable[[bool], None]] = []
        self.leading = threading.Event()
        """Set while this replica holds the lease."""

    @property
    def is_leader(self) -> bool:
        """Leading, and renewed recently enough that no other replica can have taken over.

        The freshness check covers the moments when the elector's thread is stuck in a slow
        request and has not yet noticed it lost the lease.
        """
        fresh = self._monotonic() - self._renewed_at < self._timing.renew_deadline
        return self.leading.is_set() and fresh

    @property
    def holder(self) -> str | None:
        """The leader as last observed (None: no lease seen yet, or released)."""
        return self._observed.holder or None if self._observed else None

    def add_listener(self, listener: Callable[[bool], None]) -> None:
        """Call `listener(True)` on gaining leadership, `listener(False)` on losing it.

        Called in the elector's thread; a listener must not block for long (a renewal is due
        every `retry_period`). Added before `run`, it sees every change.
        """
        self._listeners.append(listener)

    def attempt(self) -> bool:
        """One try to acquire or renew: True when this replica holds the lease afterwards."""
        path = lease_path(self.namespace, self.name)
        now = self._monotonic()
        try:
            current = LeaseRecord.from_lease(self._call("GET", path))
        except NotFound:
            current = None
        except _TROUBLE as error:
            log.debug("lease %s: %s", self.name, error)
            return False
        if current is not None and (
            self._observed is None or current.resource_version != self._observed.resource_version
        ):
            self._observed, self._observed_at = current, now
        if not may_take(current, self.identity, self._observed_at, now):
            return False
        try:
            written = self._write(current, path)
        except Conflict:
            return False  # another candidate wrote first; read again next time
        except _TROUBLE as error:
            log.debug("lease %s: %s", self.name, error)
            return False
        self._observed, self._observed_at = LeaseRecord.from_lease(written), now
        self._renewed_at = now
        return True

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> JsonObj:
        return self._source.request(method, path, body, timeout=self._request_timeout)

    def _write(self, current: LeaseRecord | None, path: str) -> JsonObj:
        stamp = _micro_time(datetime.now(UTC))
        ours = current is not None and current.holder == self.identity
        spec = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": round(self._timing.lease_duration),
            "acquireTime": current.acquire_time if ours and current else stamp,
            "renewTime": stamp,
            "leaseTransitions": (current.transitions if current else 0) + (0 if ours else 1),
        }
        if current is None:
            spec["leaseTransitions"] = 0
            body = {"metadata": {"name": self.name, "namespace": self.namespace}, "spec": spec}
            return self._call("POST", lease_path(self.namespace), body)
        body = {
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "resourceVersion": current.resource_version,
            },
            "spec": spec,
        }
        return self._call("PUT", path, body)

    def release(self) -> bool:
        """Give the lease up so another replica takes over at once, not after it expires."""
        record = self._observed
        if record is None or record.holder != self.identity:
            return False
        stamp = _micro_time(datetime.now(UTC))
        body = {
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "resourceVersion": record.resource_version,
            },
            # client-go's release: no holder, a one-second duration, the transitions kept.
            "spec": {
                "leaseDurationSeconds": 1,
                "acquireTime": stamp,
                "renewTime": stamp,
                "leaseTransitions": record.transitions,
            },
        }
        try:
            written = self._call("PUT", lease_path(self.namespace, self.name), body)
        except _TROUBLE as error:
            log.warning("lease %s: could not release: %s", self.name, error)
            return False
        self._observed = LeaseRecord.from_lease(written)
        return True

    def run(self) -> None:
        """Acquire, renew, and campaign again after losing, until `stop` (then release)."""
        while not self._stopping.is_set():
            if not self._acquire():
                break
            self._set_leading(True)
            self._renew()
            self._set_leading(False)
        if self.release():
            log.info("lease %s/%s released by %s", self.namespace, self.name, self.identity)

    def stop(self) -> None:
        self._stopping.set()

    def _acquire(self) -> bool:
        while not self._stopping.is_set():
            if self.attempt():
                return True
            # client-go's jitter factor: candidates spread out instead of racing in step.
            self._stopping.wait(self._timing.retry_period * random.uniform(1.0, 1.2))
        return False

    def _renew(self) -> None:
        while not self._stopping.wait(self._timing.retry_period):
            if self.attempt():
                continue
            taken = self._observed is not None and self._observed.holder not in (
                "",
                self.identity,
            )
            if taken or self._monotonic() - self._renewed_at >= self._timing.renew_deadline:
                log.warning(
                    "lease %s/%s lost by %s (%s)",
                    self.namespace,
                    self.name,
                    self.identity,
                    f"taken by {self._observed.holder}"
                    if taken and self._observed
                    else "could not renew in time",
                )
                return

    def _set_leading(self, leading: bool) -> None:
        if leading == self.leading.is_set():
            return
        if leading:
            self.leading.set()
            log.info("lease %s/%s acquired by %s", self.namespace, self.name, self.identity)
        else:
            self.leading.clear()
        for listener in self._listeners:
            try:
                listener(leading)
            except Exception:
                log.exception("leadership listener failed")


_POD_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def pod_namespace(default: str = "default") -> str:
    """The namespace this pod runs in (from its service account), else `default`."""
    try:
        with open(_POD_NAMESPACE_FILE, encoding="utf-8") as file:
            return file.read().strip() or default
    except OSError:
        return default
