"""List+watch of one resource collection, resumed from its resourceVersion, forever.

The detector's index must reflect the cluster without ever listing it on a request path, so
each collection is listed once and then followed through the watch API, the way client-go's
reflector does it:

- the list is paginated (`limit`/`continue`) and gives the resourceVersion the watch starts at;
- a watch ends normally after `timeoutSeconds` (or when the connection drops) and is resumed
  from the last resourceVersion seen; `allowWatchBookmarks=true` keeps that version fresh in
  quiet collections, so a resume rarely falls out of the apiserver's watch window;
- when it does (410 Gone, as a response status or an `ERROR` event), the collection is listed
  again and the handler receives the full state, which also removes what was deleted meanwhile;
- errors back off exponentially with jitter; a collection that is not served at all (a CRD
  that is not installed: 404) is reported once, treated as empty, and retried slowly.

Blocking: `Watcher.run` belongs in a thread of its own; `stop` ends it promptly from another.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from clients.kube.client import TRANSPORT_ERRORS, KubeError, NotFound

__all__ = ["EventStream", "Source", "WatchHandler", "WatchTiming", "Watcher"]

log = logging.getLogger("headwind.watch")

JsonObj = dict[str, Any]

_GONE = 410
_TROUBLE: tuple[type[Exception], ...] = (KubeError, *TRANSPORT_ERRORS)


class EventStream(Protocol):
    """An open watch: events as dicts; `abort` unblocks a reader from another thread."""

    def __iter__(self) -> Iterator[JsonObj]: ...
    def abort(self) -> None: ...
    def close(self) -> None: ...


class Source(Protocol):
    """What the watcher needs of a client (`clients.kube.client.Kube` is one)."""

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Sequence[tuple[str, str]] = (),
    ) -> JsonObj: ...

    def stream(
        self, path: str, *, query: Sequence[tuple[str, str]], read_timeout: float
    ) -> EventStream: ...


class WatchHandler(Protocol):
    """Receives the collection's state: whole after each (re)list, then change by change."""

    def listed(self, objects: list[JsonObj]) -> None:
        """Everything the collection holds now; anything not in it is gone."""

    def changed(self, event_type: str, obj: JsonObj) -> None:
        """`ADDED`, `MODIFIED` or `DELETED` for one object."""


@dataclass(frozen=True)
class WatchTiming:
    """How long watches last and how failures are retried."""

    timeout_seconds: int = 300
    """Server-side length of one watch request; it then ends normally and is resumed. client-go
    uses 5 to 10 minutes: long enough to be cheap, short enough to spread reconnects."""
    read_slack: float = 60.0
    """Silence beyond `timeout_seconds` after which the connection counts as dead. Bookmarks
    arrive about once a minute, so a healthy watch is never silent that long."""
    page_size: int = 500
    """Objects per list page (client-go's default), bounding one response's size."""
    backoff_initial: float = 0.8
    """First retry delay after an error, in seconds; doubled per consecutive error."""
    backoff_max: float = 30.0
    """Longest delay between two retries while the apiserver is unreachable."""
    absent_retry: float = 60.0
    """Delay between two looks at a collection that is not served (its CRD is absent)."""


class _Gone(Exception):
    """The resourceVersion is too old to resume from: list again."""


class Watcher:
    """Keeps a `WatchHandler` informed of one collection until `stop` is called."""

    def __init__(
        self,
        source: Source,
        path: str,
        handler: WatchHandler,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        timing: WatchTiming = WatchTiming(),
        name: str | None = None,
    ) -> None:
        self._source = source
        self._path = path
        self._handler = handler
        self._selectors = [
            (key, value)
            for key, value in (("labelSelector", label_selector), ("fieldSelector", field_selector))
            if value
        ]
        self._timing = timing
        self.name = name or path
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: EventStream | None = None
        self._failures = 0
        self._absent = False
        self.resource_version: str | None = None
        """The last version seen: where the next watch resumes (None: list first)."""
        self.synced = threading.Event()
        """Set once the first list reached the handler (or the collection proved absent)."""
        self.lists = 0
        """How many times the collection was listed: the first time, plus every relist."""

    def run(self) -> None:
        """List, then watch and resume, until `stop`; never raises for apiserver trouble."""
        while not self._stopping.is_set():
            try:
                if self.resource_version is None:
                    self._list()
                self._watch()
            except _Gone:
                log.info(
                    "%s: resourceVersion %s expired; listing again",
                    self.name,
                    self.resource_version,
                )
                self.resource_version = None
            except NotFound:
                self._not_served()
            except _TROUBLE as error:
                self._back_off(error)

    def stop(self) -> None:
        """End `run` soon: wake its waits and cut the open watch."""
        self._stopping.set()
        with self._lock:
            if self._open is not None:
                self._open.abort()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _list(self) -> None:
        items: list[JsonObj] = []
        token: str | None = None
        version = ""
        while True:
            query = [*self._selectors, ("limit", str(self._timing.page_size))]
            if token:
                query.append(("continue", token))
            try:
                page = self._source.request("GET", self._path, query=query)
            except KubeError as error:
                if error.status == _GONE and token:
                    # The continue token outlived etcd's compaction: start the list over.
                    items, token = [], None
                    continue
                raise
            metadata = page.get("metadata") or {}
            version = str(metadata.get("resourceVersion") or version)
            items.extend(item for item in page.get("items") or [] if isinstance(item, dict))
            token = metadata.get("continue") or None
            if not token:
                break
        if self._absent:
            log.info("%s: served now", self.name)
            self._absent = False
        self.lists += 1
        self._deliver_list(items)
        self.resource_version = version
        self._failures = 0
        self.synced.set()

    def _watch(self) -> None:
        query = [
            *self._selectors,
            ("watch", "1"),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(self._timing.timeout_seconds)),
            ("resourceVersion", self.resource_version or ""),
        ]
        try:
            opened = self._source.stream(
                self._path,
                query=query,
                read_timeout=self._timing.timeout_seconds + self._timing.read_slack,
            )
        except KubeError as error:
            if error.status == _GONE:
                raise _Gone from error
            raise
        started = time.monotonic()
        with self._lock:
            self._open = opened
        if self._stopping.is_set():  # stop() ran before the stream was registered
            opened.abort()
        try:
            for event in opened:
                self._handle(event)
                if self._stopping.is_set():
                    return
        finally:
            with self._lock:
                self._open = None
            opened.close()
        if time.monotonic() - started < 1.0 and not self._stopping.is_set():
            # A watch the server ends at once (an apiserver shutting down) must not spin.
            self._stopping.wait(self._timing.backoff_initial)

    def _handle(self, event: JsonObj) -> None:
        kind = event.get("type")
        obj = event.get("object")
        obj = obj if isinstance(obj, dict) else {}
        if kind == "ERROR":
            code = int(obj.get("code") or 0)
            if code == _GONE:
                raise _Gone
            raise KubeError(code, str(obj.get("message") or obj.get("reason") or "watch error"))
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self._deliver_change(str(kind), obj)
        elif kind != "BOOKMARK":
            log.debug("%s: ignoring watch event of type %r", self.name, kind)
        if version:
            self.resource_version = str(version)
        self._failures = 0

    def _deliver_list(self, items: list[JsonObj]) -> None:
        try:
            self._handler.listed(items)
        except Exception:  # a handler bug must not stop the watch of a whole collection
            log.exception("%s: handler failed on a list of %d objects", self.name, len(items))

    def _deliver_change(self, kind: str, obj: JsonObj) -> None:
        try:
            self._handler.changed(kind, obj)
        except Exception:
            log.exception("%s: handler failed on %s", self.name, kind)

    def _not_served(self) -> None:
        if not self._absent:
            log.warning(
                "%s: not served by the apiserver (is its CRD installed?); "
                "treating it as empty and looking again every %.0fs",
                self.name,
                self._timing.absent_retry,
            )
            self._absent = True
            self._deliver_list([])
        self.resource_version = None
        self.synced.set()
        self._stopping.wait(self._timing.absent_retry)

    def _back_off(self, error: BaseException) -> None:
        delay = min(
            self._timing.backoff_max, self._timing.backoff_initial * 2**self._failures
        ) * random.uniform(0.8, 1.2)
        self._failures = min(self._failures + 1, 16)
        if not self._stopping.is_set():
            log.warning(
                "%s: %s; retrying in %.1fs from resourceVersion %s",
                self.name,
                error or type(error).__name__,
                delay,
                self.resource_version or "(list)",
            )
        self._stopping.wait(delay)
