"""List+watch against a scripted apiserver: resume, bookmarks, 410 relists, backoff, absence."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pytest
import urllib3

from clients.kube import streaming
from clients.kube.client import KubeError, NotFound
from clients.kube.watching import Watcher, WatchTiming

FAST = WatchTiming(backoff_initial=0.001, backoff_max=0.002, absent_retry=0.001)
PATH = "/apis/apps/v1/deployments"


def obj(name: str, version: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": version}}


def page(version: str, *names: str, token: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": version}
    if token:
        metadata["continue"] = token
    return {"metadata": metadata, "items": [obj(name, version) for name in names]}


def event(kind: str, name: str, version: str) -> dict[str, Any]:
    return {"type": kind, "object": obj(name, version)}


def bookmark(version: str) -> dict[str, Any]:
    return {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": version}}}


def gone() -> dict[str, Any]:
    return {"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}}


class Broken:
    """A watch that delivers `events`, then fails with `error` (a dropped connection)."""

    def __init__(self, events: list[dict[str, Any]], error: Exception) -> None:
        self.events = events
        self.error = error


class FakeStream:
    def __init__(self, events: list[dict[str, Any]], error: Exception | None = None) -> None:
        self._events = events
        self._error = error
        self.aborted = threading.Event()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield from self._events
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        self.aborted.set()

    def close(self) -> None:
        pass


class FakeSource:
    """Answers lists and watches from two scripts; stops the watcher when both run out."""

    def __init__(self, lists: list[Any], watches: list[Any]) -> None:
        self.lists = list(lists)
        self.watches = list(watches)
        self.list_queries: list[dict[str, str]] = []
        self.watch_queries: list[dict[str, str]] = []
        self.watcher: Watcher | None = None

    def _next(self, script: list[Any]) -> Any:
        if not script:
            assert self.watcher is not None
            self.watcher.stop()
            raise KubeError(503, "script exhausted")
        step = script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def request(
        self, method: str, path: str, body: Any = None, *, query: Sequence[tuple[str, str]] = ()
    ) -> dict[str, Any]:
        assert (method, path) == ("GET", PATH)
        self.list_queries.append(dict(query))
        result: dict[str, Any] = self._next(self.lists)
        return result

    def stream(
        self, path: str, *, query: Sequence[tuple[str, str]], read_timeout: float
    ) -> FakeStream:
        assert path == PATH
        assert read_timeout > FAST.timeout_seconds
        self.watch_queries.append(dict(query))
        step = self._next(self.watches)
        if isinstance(step, Broken):
            return FakeStream(step.events, step.error)
        return FakeStream(step)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def listed(self, objects: list[dict[str, Any]]) -> None:
        self.calls.append(("listed", [o["metadata"]["name"] for o in objects]))

    def changed(self, event_type: str, obj: dict[str, Any]) -> None:
        self.calls.append((event_type, obj["metadata"]["name"]))


def run(
    lists: list[Any], watches: list[Any], **selectors: str
) -> tuple[FakeSource, Recorder, Watcher]:
    source = FakeSource(lists, watches)
    recorder = Recorder()
    watcher = Watcher(source, PATH, recorder, timing=FAST, **selectors)
    source.watcher = watcher
    watcher.run()
    return source, recorder, watcher


def test_lists_then_follows_changes_and_resumes_from_the_last_version() -> None:
    source, recorder, watcher = run(
        lists=[page("10", "a")],
        watches=[
            [event("ADDED", "b", "11"), event("MODIFIED", "a", "12")],
            [bookmark("20")],
            [event("DELETED", "b", "21")],
        ],
    )
    assert recorder.calls == [
        ("listed", ["a"]),
        ("ADDED", "b"),
        ("MODIFIED", "a"),
        ("DELETED", "b"),
    ]
    assert [q["resourceVersion"] for q in source.watch_queries] == ["10", "12", "20", "21"]
    assert all(q["allowWatchBookmarks"] == "true" for q in source.watch_queries)
    assert all(q["watch"] == "1" for q in source.watch_queries)
    assert all(q["timeoutSeconds"] == str(FAST.timeout_seconds) for q in source.watch_queries)
    assert watcher.lists == 1
    assert watcher.synced.is_set()


@pytest.mark.parametrize(
    "expiry",
    [
        [event("ADDED", "b", "11"), gone()],
        KubeError(410, "Gone"),
    ],
    ids=["error-event-410", "http-410-on-watch"],
)
def test_an_expired_version_relists(expiry: Any) -> None:
    source, recorder, watcher = run(
        lists=[page("10", "a"), page("50", "a", "c")],
        watches=[expiry, [event("ADDED", "d", "51")]],
    )
    assert ("listed", ["a", "c"]) in recorder.calls
    assert recorder.calls[-1] == ("ADDED", "d")
    assert watcher.lists == 2
    assert source.watch_queries[-2]["resourceVersion"] == "50"


@pytest.mark.parametrize(
    "failure",
    [
        Broken([event("ADDED", "b", "11")], OSError("connection reset")),
        Broken([event("ADDED", "b", "11")], KubeError(500, "etcd leader changed")),
        Broken(
            [event("ADDED", "b", "11"), {"type": "ERROR", "object": {"code": 500}}],
            KubeError(0, "unused"),
        ),
    ],
    ids=["connection-dropped", "server-error", "error-event-500"],
)
def test_a_dropped_watch_resumes_without_relisting(failure: Broken) -> None:
    source, recorder, watcher = run(
        lists=[page("10", "a")],
        watches=[failure, [event("ADDED", "c", "12")]],
    )
    assert recorder.calls == [("listed", ["a"]), ("ADDED", "b"), ("ADDED", "c")]
    assert [q["resourceVersion"] for q in source.watch_queries[:2]] == ["10", "11"]
    assert watcher.lists == 1


def test_list_errors_back_off_and_retry() -> None:
    source, recorder, _watcher = run(
        lists=[KubeError(503, "unavailable"), OSError("refused"), page("7", "a")],
        watches=[[]],
    )
    assert recorder.calls == [("listed", ["a"])]
    assert len(source.list_queries) == 3


def test_lists_are_paginated_and_start_over_when_the_token_expires() -> None:
    source, recorder, _ = run(
        lists=[
            page("10", "a", token="t1"),
            KubeError(410, "continue token expired"),
            page("12", "a", token="t2"),
            page("12", "b"),
        ],
        watches=[[]],
    )
    assert recorder.calls == [("listed", ["a", "b"])]
    assert [q.get("continue") for q in source.list_queries] == [None, "t1", None, "t2"]
    assert all(q["limit"] == str(FAST.page_size) for q in source.list_queries)
    assert source.watch_queries[0]["resourceVersion"] == "12"


def test_a_collection_that_is_not_served_is_empty_until_it_is() -> None:
    _source, recorder, watcher = run(
        lists=[NotFound(404, "no CRD"), NotFound(404, "no CRD"), page("3", "hr")],
        watches=[[]],
    )
    assert recorder.calls == [("listed", []), ("listed", ["hr"])]
    assert watcher.synced.is_set()


def test_selectors_go_to_lists_and_watches() -> None:
    source, _, _ = run(
        lists=[page("1")], watches=[[]], label_selector="app=web", field_selector="x=y"
    )
    for query in (source.list_queries[0], source.watch_queries[0]):
        assert query["labelSelector"] == "app=web"
        assert query["fieldSelector"] == "x=y"


def test_a_failing_handler_does_not_stop_the_watch() -> None:
    class Flaky(Recorder):
        def changed(self, event_type: str, obj: dict[str, Any]) -> None:
            if obj["metadata"]["name"] == "bad":
                raise RuntimeError("bug")
            super().changed(event_type, obj)

    source = FakeSource([page("1")], [[event("ADDED", "bad", "2"), event("ADDED", "ok", "3")]])
    recorder = Flaky()
    watcher = Watcher(source, PATH, recorder, timing=FAST)
    source.watcher = watcher
    watcher.run()
    assert recorder.calls == [("listed", []), ("ADDED", "ok")]
    assert watcher.resource_version == "3"


def test_stop_cuts_a_blocked_watch_short() -> None:
    class Blocking(FakeStream):
        def __iter__(self) -> Iterator[dict[str, Any]]:
            self.aborted.wait(10)
            return iter(())

    opened: list[Blocking] = []

    class Source(FakeSource):
        def stream(
            self, path: str, *, query: Sequence[tuple[str, str]], read_timeout: float
        ) -> FakeStream:
            opened.append(Blocking([]))
            return opened[-1]

    source = Source([page("1")], [])
    watcher = Watcher(source, PATH, Recorder(), timing=FAST)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    assert watcher.synced.wait(5)
    while not opened:
        threading.Event().wait(0.01)
    watcher.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert opened[0].aborted.is_set()


class ChunkedResponse:
    """What `Stream` reads: chunks that split events anywhere, as a chunked response does."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        yield from self.chunks

    def shutdown(self) -> None:
        raise RuntimeError("already released")  # abort must swallow this

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass


def test_a_stream_reassembles_events_split_across_chunks() -> None:
    first = json.dumps(event("ADDED", "a", "1")).encode()
    second = json.dumps(bookmark("2")).encode()
    chunks = [first[:5], first[5:] + b"\n" + second[:3], second[3:] + b"\n\n", b"{not json"]
    response = ChunkedResponse(chunks)
    with streaming.Stream(cast(urllib3.BaseHTTPResponse, response)) as stream:
        events = list(stream)
        stream.abort()
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK", "ERROR"]
    assert events[0]["object"]["metadata"]["name"] == "a"
    assert response.closed
