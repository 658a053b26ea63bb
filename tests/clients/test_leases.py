"""Leader election decisions against an in-memory Lease store with the apiserver's rules."""

from __future__ import annotations

import copy
import functools
import itertools
import threading
import time
from typing import Any

import pytest

from clients.kube.client import Conflict, KubeError, NotFound
from clients.kube.leases import (
    ElectionTiming,
    LeaderElector,
    LeaseRecord,
    lease_path,
    may_take,
)

NS, NAME = "headwind", "headwind-leader"
TIMING = ElectionTiming(lease_duration=15, renew_deadline=10, retry_period=2)


class LeaseStore:
    """One namespace of Leases: create refuses duplicates, PUT checks the resourceVersion."""

    def __init__(self) -> None:
        self.leases: dict[str, dict[str, Any]] = {}
        self._versions = itertools.count(1)
        self.down = False
        self.writes = 0

    def request(
        self, method: str, path: str, body: Any = None, *, timeout: float = 30
    ) -> dict[str, Any]:
        assert timeout < TIMING.renew_deadline
        if self.down:
            raise KubeError(503, "apiserver unavailable")
        if method == "GET":
            name = path.rsplit("/", 1)[1]
            if name not in self.leases:
                raise NotFound(404, "not found")
            return copy.deepcopy(self.leases[name])
        self.writes += 1
        stored = copy.deepcopy(body)
        name = stored["metadata"]["name"]
        if method == "POST":
            assert path == lease_path(NS)
            if name in self.leases:
                raise Conflict(409, "already exists")
        else:
            assert method == "PUT"
            assert path == lease_path(NS, name)
            current = self.leases.get(name)
            if current is None:
                raise NotFound(404, "not found")
            if stored["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
                raise Conflict(409, "the object has been modified")
        stored["metadata"]["resourceVersion"] = str(next(self._versions))
        self.leases[name] = stored
        return copy.deepcopy(stored)

    def record(self) -> LeaseRecord:
        return LeaseRecord.from_lease(self.leases[NAME])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def elector(store: LeaseStore, clock: Clock, identity: str) -> LeaderElector:
    return LeaderElector(
        store, namespace=NS, name=NAME, identity=identity, timing=TIMING, monotonic=clock
    )


def record(holder: str, duration: int = 15) -> LeaseRecord:
    return LeaseRecord(holder, duration, None, None, 0, "1")


@pytest.mark.parametrize(
    ("current", "observed_at", "now", "expected"),
    [
        (None, 0, 0, True),
        (record(""), 100, 100, True),
        (record("me"), 100, 100, True),
        (record("other"), 100, 114.9, False),
        (record("other"), 100, 115, True),
        (record("other", duration=1), 100, 101, True),
    ],
    ids=[
        "no-lease",
        "released",
        "already-mine",
        "other-holder-fresh",
        "other-holder-expired",
        "released-by-client-go-style-one-second",
    ],
)
def test_may_take(
    current: LeaseRecord | None, observed_at: float, now: float, expected: bool
) -> None:
    assert may_take(current, "me", observed_at, now) is expected


def test_the_first_candidate_creates_the_lease() -> None:
    store, clock = LeaseStore(), Clock()
    assert elector(store, clock, "a").attempt()
    lease = store.leases[NAME]
    assert lease["spec"]["holderIdentity"] == "a"
    assert lease["spec"]["leaseDurationSeconds"] == 15
    assert lease["spec"]["leaseTransitions"] == 0
    assert lease["spec"]["renewTime"].endswith("Z")


def test_renewing_keeps_acquire_time_and_transitions() -> None:
    store, clock = LeaseStore(), Clock()
    a = elector(store, clock, "a")
    assert a.attempt()
    acquired = store.record().acquire_time
    clock.now += 2
    assert a.attempt()
    assert store.record().acquire_time == acquired
    assert store.record().transitions == 0
    assert store.record().resource_version == "2"


def test_a_second_candidate_waits_for_the_lease_to_expire_then_takes_over() -> None:
    store, clock = LeaseStore(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    assert a.attempt()
    assert not b.attempt()
    clock.now += 14
    assert not b.attempt(), "b first saw this record 14s ago: not expired yet"
    clock.now += 1
    assert b.attempt()
    assert store.record().holder == "b"
    assert store.record().transitions == 1


def test_expiry_counts_from_when_the_record_last_changed() -> None:
    store, clock = LeaseStore(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    assert a.attempt()
    for _ in range(20):  # a renews every 2s for 40s; b never sees the same record for 15s
        clock.now += 2
        assert a.attempt()
        assert not b.attempt()
    assert store.record().holder == "a"


def test_two_candidates_racing_for_an_expired_lease_cannot_both_win() -> None:
    store, clock = LeaseStore(), Clock()
    a, b, c = (elector(store, clock, name) for name in "abc")
    assert a.attempt()
    assert not b.attempt()
    assert not c.attempt()
    clock.now += 20
    assert b.attempt()
    assert not c.attempt(), "c read the record b replaced, and the write carried its version"
    assert store.record().holder == "b"


def test_release_hands_over_at_once() -> None:
    store, clock = LeaseStore(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    assert a.attempt()
    assert not b.attempt()
    assert a.release()
    released = store.record()
    assert released.holder == ""
    assert released.lease_duration_seconds == 1
    assert b.attempt()
    assert store.record().holder == "b"
    assert store.record().transitions == 1


def test_a_replica_that_does_not_hold_the_lease_does_not_release_it() -> None:
    store, clock = LeaseStore(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    assert a.attempt()
    assert not b.attempt()
    assert not b.release()
    assert store.record().holder == "a"


def test_an_unreachable_apiserver_is_a_failed_attempt_not_an_error() -> None:
    store, clock = LeaseStore(), Clock()
    a = elector(store, clock, "a")
    store.down = True
    assert not a.attempt()


def test_leadership_goes_stale_when_renewals_fail() -> None:
    store, clock = LeaseStore(), Clock()
    a = elector(store, clock, "a")
    assert a.attempt()
    a.leading.set()  # what `run` does after a successful attempt
    assert a.is_leader
    store.down = True
    clock.now += 9
    assert not a.attempt()
    assert a.is_leader
    clock.now += 1
    assert not a.is_leader, "past the renew deadline another replica may take over soon"


def test_renew_deadline_must_be_shorter_than_the_lease() -> None:
    with pytest.raises(ValueError, match="renew_deadline"):
        LeaderElector(
            LeaseStore(),
            namespace=NS,
            name=NAME,
            timing=ElectionTiming(lease_duration=5, renew_deadline=5, retry_period=1),
        )


def test_the_default_identity_is_unique_per_elector() -> None:
    store = LeaseStore()
    first = LeaderElector(store, namespace=NS, name=NAME)
    second = LeaderElector(store, namespace=NS, name=NAME)
    assert first.identity != second.identity


def test_running_electors_agree_on_one_leader_and_hand_over_on_stop() -> None:
    store = LeaseStore()
    quick = ElectionTiming(lease_duration=1.5, renew_deadline=1.0, retry_period=0.05)
    changes: list[tuple[str, bool]] = []
    electors = [
        LeaderElector(store, namespace=NS, name=NAME, identity=name, timing=quick)
        for name in ("a", "b")
    ]

    def record_change(who: str, leading: bool) -> None:
        changes.append((who, leading))

    for each in electors:
        each.add_listener(functools.partial(record_change, each.identity))
    threads = [threading.Thread(target=each.run) for each in electors]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 5
        while not any(each.is_leader for each in electors) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # several renewals: the follower must stay a follower
        leaders = [each for each in electors if each.is_leader]
        assert len(leaders) == 1
        first = leaders[0]
        follower = next(each for each in electors if each is not first)
        first.stop()
        threads[electors.index(first)].join(5)
        assert store.record().holder in ("", follower.identity)
        deadline = time.monotonic() + 1.0  # well before the 1.5s lease could have expired
        while not follower.is_leader and time.monotonic() < deadline:
            time.sleep(0.01)
        assert follower.is_leader
        assert changes == [
            (first.identity, True),
            (first.identity, False),
            (follower.identity, True),
        ]
    finally:
        for each in electors:
            each.stop()
        for thread in threads:
            thread.join(5)
    assert store.record().holder == ""
