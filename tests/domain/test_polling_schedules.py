"""Which polling schedules the index asks for, and how existing ones are brought in line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from headwind import polling, watched
from headwind.index import ImageIndex, Subscriber
from headwind.models import WorkloadKind

DEFAULT = timedelta(minutes=5)


def deployment(name: str, image: str, **annotations: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "apps",
            "annotations": {
                f"headwind.sh/{k.replace('_', '-')}": v for k, v in annotations.items()
            },
        },
        "spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}},
    }


def snapshot(*objects: dict[str, Any]) -> dict[str, list[Subscriber]]:
    index = ImageIndex()
    for obj in objects:
        entry = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
        assert entry is not None
        index.put(entry)
    return index.repositories()


REG = "registry.example.com/team/app"


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        pytest.param(
            [deployment("a", f"{REG}:1.0", policy="minor", event_source="polling")],
            {REG: DEFAULT},
            id="polling-subscriber-gets-the-global-interval",
        ),
        pytest.param(
            [deployment("a", f"{REG}:1.0", policy="minor", event_source="webhook")],
            {},
            id="webhook-only-is-not-polled",
        ),
        pytest.param(
            [deployment("a", f"{REG}:1.0", policy="minor")],
            {},
            id="default-event-source-webhook-is-not-polled",
        ),
        pytest.param(
            [deployment("a", f"{REG}:1.0", policy="minor", event_source="none")],
            {},
            id="event-source-none-is-not-polled",
        ),
        pytest.param(
            [deployment("a", f"{REG}:1.0", policy="minor", event_source="both")],
            {REG: DEFAULT},
            id="both-is-polled",
        ),
        pytest.param(
            [deployment("a", f"{REG}:1.0", policy="none", event_source="polling")],
            {},
            id="policy-none-is-not-polled",
        ),
        pytest.param(
            [
                deployment(
                    "a", f"{REG}:1.0", policy="minor", event_source="polling", images="sidecar"
                )
            ],
            {},
            id="container-excluded-by-images-is-not-polled",
        ),
        pytest.param(
            [
                deployment(
                    "a", f"{REG}:1.0", policy="minor", event_source="polling", polling_interval="2m"
                ),
                deployment(
                    "b", f"{REG}:2.0", policy="major", event_source="both", polling_interval="30s"
                ),
                deployment("c", f"{REG}:3.0", policy="major", event_source="polling"),
            ],
            {REG: timedelta(seconds=30)},
            id="one-schedule-per-repository-at-the-shortest-interval",
        ),
        pytest.param(
            [
                deployment(
                    "a", f"{REG}:1.0", policy="minor", event_source="polling", polling_interval="1"
                )
            ],
            {REG: polling.MIN_INTERVAL},
            id="interval-below-the-floor-is-raised",
        ),
        pytest.param(
            [
                deployment("a", f"{REG}:1.0", policy="minor", event_source="polling"),
                deployment("b", "nginx:1.25", policy="patch", event_source="polling"),
            ],
            {REG: DEFAULT, "docker.io/library/nginx": DEFAULT},
            id="each-repository-its-own-schedule",
        ),
    ],
)
def test_desired_schedules_from_the_index(
    objects: list[dict[str, Any]], expected: dict[str, timedelta]
) -> None:
    assert polling.desired(snapshot(*objects), default_interval=DEFAULT) == expected


def test_polling_disabled_wants_no_schedule() -> None:
    repos = snapshot(deployment("a", f"{REG}:1.0", policy="minor", event_source="polling"))
    assert polling.desired(repos, default_interval=DEFAULT, enabled=False) == {}


def test_a_helm_release_is_polled_under_its_chart_key() -> None:
    release = {
        "metadata": {
            "name": "web",
            "namespace": "apps",
            "annotations": {"headwind.sh/policy": "minor", "headwind.sh/event-source": "polling"},
        },
        "spec": {
            "chart": {
                "spec": {
                    "chart": "podinfo",
                    "version": "6.0.0",
                    "sourceRef": {"kind": "HelmRepository", "name": "charts"},
                }
            }
        },
    }
    index = ImageIndex()
    entry = watched.from_object(WorkloadKind.HELMRELEASE, release)
    assert entry is not None
    index.put(entry)
    assert polling.desired(index.repositories(), default_interval=DEFAULT) == {
        "helm:apps/charts/podinfo": DEFAULT
    }


S5, M1, M5 = timedelta(seconds=5), timedelta(minutes=1), timedelta(minutes=5)


@pytest.mark.parametrize(
    ("wanted", "existing", "expected"),
    [
        pytest.param({}, {}, polling.SchedulePlan(), id="nothing-to-do"),
        pytest.param(
            {"a": M5}, {}, polling.SchedulePlan(create={"a": M5}), id="create-a-missing-schedule"
        ),
        pytest.param({"a": M5}, {"a": M5}, polling.SchedulePlan(), id="keep-an-equal-schedule"),
        pytest.param(
            {"a": S5}, {"a": M5}, polling.SchedulePlan(update={"a": S5}), id="update-the-interval"
        ),
        pytest.param(
            {"a": M5},
            {"a": None},
            polling.SchedulePlan(update={"a": M5}),
            id="rewrite-an-unreadable-schedule",
        ),
        pytest.param(
            {}, {"a": M5}, polling.SchedulePlan(delete=("a",)), id="delete-an-unneeded-schedule"
        ),
        pytest.param(
            {"a": M5, "b": M1, "c": S5},
            {"b": M5, "c": S5, "d": M1},
            polling.SchedulePlan(create={"a": M5}, update={"b": M1}, delete=("d",)),
            id="create-update-keep-and-delete-at-once",
        ),
    ],
)
def test_plan(
    wanted: dict[str, timedelta],
    existing: dict[str, timedelta | None],
    expected: polling.SchedulePlan,
) -> None:
    assert polling.plan(wanted, existing) == expected


@pytest.mark.parametrize(
    "repository",
    ["docker.io/library/nginx", "127.0.0.1:5000/team/app", "helm:apps/charts/podinfo"],
)
def test_schedule_id_round_trip(repository: str) -> None:
    schedule = polling.schedule_id(repository)
    assert schedule.startswith("headwind-poll/")
    assert polling.repository_of(schedule) == repository


@pytest.mark.parametrize("schedule", ["nightly-backup", "headwind-poll/", "headwind-update/x"])
def test_other_schedules_are_not_polling_schedules(schedule: str) -> None:
    assert polling.repository_of(schedule) is None


@pytest.mark.parametrize(
    ("interval", "jitter"),
    [
        pytest.param(timedelta(seconds=5), timedelta(seconds=0.5), id="tenth-of-a-short-interval"),
        pytest.param(timedelta(hours=1), timedelta(minutes=1), id="at-most-a-minute"),
    ],
)
def test_jitter(interval: timedelta, jitter: timedelta) -> None:
    assert polling.jitter(interval) == jitter
