"""Watch events into the image index, and bad annotations reported once per problem set."""

from typing import Any

import pytest

from headwind.index import ImageIndex, WatchedWorkload
from headwind.models import WorkloadKind, WorkloadRef
from worker.detecting import problems
from worker.detecting.indexing import IndexUpdater

H = "headwind.sh/"
DEPLOY = WorkloadKind.DEPLOYMENT


def deployment(
    name: str,
    image: str = "nginx:1.25",
    *,
    namespace: str = "team",
    annotations: dict[str, str] | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid or f"uid-{name}",
            "annotations": {H + "policy": "minor"} if annotations is None else annotations,
        },
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
    }


def ref(name: str, namespace: str = "team", kind: WorkloadKind = DEPLOY) -> WorkloadRef:
    return WorkloadRef(kind=kind, namespace=namespace, name=name)


class RecordingObserver:
    def __init__(self) -> None:
        self.observed: list[WorkloadRef] = []
        self.forgotten: list[WorkloadRef] = []

    def observe(self, watched: WatchedWorkload) -> None:
        self.observed.append(watched.workload)

    def forget(self, workload: WorkloadRef) -> None:
        self.forgotten.append(workload)


def names(index: ImageIndex, repository: str = "docker.io/library/nginx") -> list[str]:
    return [sub.workload.name for sub in index.lookup(repository)]


Step = tuple[str, dict[str, Any]]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([("ADDED", deployment("a"))], ["a"]),
        ([("ADDED", deployment("a")), ("DELETED", deployment("a"))], []),
        ([("ADDED", deployment("a", annotations={"team": "x"}))], []),
        (
            [("ADDED", deployment("a")), ("MODIFIED", deployment("a", annotations={}))],
            [],
        ),
        (
            [("ADDED", deployment("a", annotations={})), ("MODIFIED", deployment("a"))],
            ["a"],
        ),
        (
            [("ADDED", deployment("a")), ("MODIFIED", deployment("a", "redis:7"))],
            [],
        ),
        ([("ADDED", deployment("a")), ("ADDED", deployment("b"))], ["a", "b"]),
        ([("DELETED", deployment("never-seen"))], []),
    ],
    ids=[
        "added",
        "deleted",
        "added-unannotated",
        "annotations-removed",
        "annotations-added-later",
        "image-moved-to-another-repository",
        "two-workloads",
        "deleting-unknown-is-harmless",
    ],
)
def test_changes_keep_the_index_current(steps: list[Step], expected: list[str]) -> None:
    index = ImageIndex()
    updater = IndexUpdater(DEPLOY, index, RecordingObserver())
    for event_type, obj in steps:
        updater.changed(event_type, obj)
    assert names(index) == expected


def test_image_change_moves_the_subscriber() -> None:
    index = ImageIndex()
    updater = IndexUpdater(DEPLOY, index, RecordingObserver())
    updater.changed("ADDED", deployment("a"))
    updater.changed("MODIFIED", deployment("a", "redis:7.2"))
    assert names(index, "docker.io/library/redis") == ["a"]
    assert [s.tag for s in index.lookup("docker.io/library/redis")] == ["7.2"]
    assert index.count_by_kind()[DEPLOY] == 1


def test_a_relist_drops_what_was_deleted_while_the_watch_was_down() -> None:
    index = ImageIndex()
    updater = IndexUpdater(DEPLOY, index, RecordingObserver())
    updater.listed([deployment("a"), deployment("b"), deployment("c")])
    updater.listed([deployment("b"), deployment("c", "nginx:1.26"), deployment("d")])
    assert names(index) == ["b", "c", "d"]
    assert [s.tag for s in index.lookup("docker.io/library/nginx")] == ["1.25", "1.26", "1.25"]


def test_a_namespaced_relist_leaves_other_scopes_alone() -> None:
    index = ImageIndex()
    observer = RecordingObserver()
    team_a = IndexUpdater(DEPLOY, index, observer, namespace="a")
    team_b = IndexUpdater(DEPLOY, index, observer, namespace="b")
    cronjobs = IndexUpdater(WorkloadKind.CRONJOB, index, observer, namespace="a")
    team_a.listed([deployment("web", namespace="a")])
    team_b.listed([deployment("web", namespace="b")])
    cronjob = deployment("nightly", namespace="a")
    cronjob["spec"] = {"jobTemplate": {"spec": deployment("x")["spec"]}}
    cronjobs.listed([cronjob])
    team_a.listed([])
    assert sorted(str(w) for w in index.workloads()) == [
        "CronJob/a/nightly",
        "Deployment/b/web",
    ]
    assert observer.forgotten == [ref("web", "a")]


def test_the_observer_hears_indexed_and_removed_workloads() -> None:
    observer = RecordingObserver()
    updater = IndexUpdater(DEPLOY, ImageIndex(), observer)
    updater.changed("ADDED", deployment("a"))
    updater.changed("MODIFIED", deployment("a", annotations={}))
    updater.changed("ADDED", deployment("b"))
    updater.changed("DELETED", deployment("b"))
    assert observer.observed == [ref("a"), ref("b")]
    assert observer.forgotten == [ref("a"), ref("b")]


class Emitted(list[WatchedWorkload]):
    """An `Emit` that records and succeeds."""

    def __call__(self, watched: WatchedWorkload) -> bool:
        self.append(watched)
        return True


def _watched(
    annotations: dict[str, str], *, uid: str = "uid-1", name: str = "a"
) -> WatchedWorkload:
    index = ImageIndex()
    IndexUpdater(DEPLOY, index, RecordingObserver()).changed(
        "ADDED", deployment(name, annotations=annotations, uid=uid)
    )
    found = index.get(ref(name))
    assert found is not None
    return found


BAD = {H + "policy": "sometimes"}
WORSE = {H + "policy": "sometimes", H + "prerelease": "maybe"}
GOOD = {H + "policy": "minor"}


@pytest.mark.parametrize(
    ("sequence", "reports"),
    [
        ([BAD], 1),
        ([BAD, BAD, BAD], 1),
        ([BAD, WORSE], 2),
        ([BAD, WORSE, BAD], 3),
        ([BAD, GOOD, BAD], 2),
        ([GOOD, GOOD], 0),
    ],
    ids=[
        "first-problem",
        "same-problems-on-every-status-update",
        "a-second-problem",
        "problem-set-shrinks",
        "fixed-then-broken-again",
        "never-bad",
    ],
)
def test_problems_are_reported_when_the_set_changes(
    sequence: list[dict[str, str]], reports: int
) -> None:
    emitted = Emitted()
    reporter = problems.ProblemReporter(emitted, is_leader=lambda: True)
    for values in sequence:
        reporter.observe(_watched(values))
    assert len(emitted) == reports


def test_a_recreated_workload_is_reported_again() -> None:
    emitted = Emitted()
    reporter = problems.ProblemReporter(emitted, is_leader=lambda: True)
    reporter.observe(_watched(BAD, uid="first"))
    reporter.observe(_watched(BAD, uid="second"))
    assert len(emitted) == 2


def test_a_failed_report_is_tried_again_on_the_next_event() -> None:
    outcomes = iter([False, True])
    calls: list[WatchedWorkload] = []

    def emit(watched: WatchedWorkload) -> bool:
        calls.append(watched)
        return next(outcomes)

    reporter = problems.ProblemReporter(emit, is_leader=lambda: True)
    for _ in range(3):
        reporter.observe(_watched(BAD))
    assert len(calls) == 2


def test_only_the_leader_reports_and_a_new_leader_catches_up() -> None:
    leading = False
    emitted = Emitted()
    reporter = problems.ProblemReporter(emitted, is_leader=lambda: leading)
    bad = _watched(BAD)
    reporter.observe(bad)
    assert emitted == []

    leading = True
    reporter.leadership_changed(True, [bad, _watched(GOOD, name="b")])
    assert [w.workload for w in emitted] == [ref("a")]
    reporter.observe(bad)
    assert len(emitted) == 1

    leading = False
    reporter.leadership_changed(False, [])
    leading = True
    reporter.leadership_changed(True, [bad])
    assert len(emitted) == 2, "a regained lead reports again (the Event name dedupes it)"


def test_problem_key_names_the_uid_and_the_problem_set() -> None:
    assert problems.problem_key(_watched(GOOD)) == ""
    key = problems.problem_key(_watched(BAD))
    assert key.startswith("uid-1/")
    assert key == problems.problem_key(_watched(BAD))
    assert key != problems.problem_key(_watched(WORSE))
    assert "sometimes" in problems.describe(_watched(BAD))
