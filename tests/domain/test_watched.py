"""From a watched object to its index entry: opt-in, subscribers for five kinds, problems."""

from typing import Any

import pytest

from headwind import watched
from headwind.models import WorkloadKind, WorkloadRef

H = "headwind.sh/"
SHA = "sha256:" + "a" * 64


def _pod_spec(containers: list[dict[str, str]], init: list[dict[str, str]] | None = None) -> Any:
    spec: dict[str, Any] = {"containers": containers}
    if init is not None:
        spec["initContainers"] = init
    return spec


def _obj(
    kind: WorkloadKind,
    *,
    annotations: dict[str, str] | None = None,
    containers: list[dict[str, str]] | None = None,
    init: list[dict[str, str]] | None = None,
    chart: dict[str, Any] | None = None,
    namespace: str = "team",
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": "app",
        "namespace": namespace,
        "uid": "uid-1",
        "generation": 3,
        "resourceVersion": "42",
    }
    if annotations is not None:
        metadata["annotations"] = annotations
    pod = _pod_spec(containers or [{"name": "web", "image": "nginx:1.25"}], init)
    if kind == WorkloadKind.HELMRELEASE:
        spec: dict[str, Any] = {"chart": {"spec": chart}} if chart is not None else {}
    elif kind == WorkloadKind.CRONJOB:
        spec = {"jobTemplate": {"spec": {"template": {"spec": pod}}}}
    else:
        spec = {"template": {"spec": pod}}
    return {"metadata": metadata, "spec": spec}


POD_KINDS = [
    WorkloadKind.DEPLOYMENT,
    WorkloadKind.STATEFULSET,
    WorkloadKind.DAEMONSET,
    WorkloadKind.CRONJOB,
]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (None, False),
        ({}, False),
        ({"app.kubernetes.io/name": "web"}, False),
        ({H + "policy": "minor"}, True),
        ({H + "policy": "none"}, True),
        ({H + "polcy": "minor"}, True),
        ({H + "update-history": "[]", H + "last-update": "2025-01-01T00:00:00Z"}, False),
        ({H + "update-history": "[]", H + "event-source": "polling"}, True),
    ],
    ids=[
        "no-annotations",
        "empty",
        "other-keys-only",
        "policy",
        "explicit-none-still-watched",
        "misspelt-key-watched-to-be-reported",
        "only-keys-headwind-writes",
        "written-and-owner-keys",
    ],
)
def test_opt_in(values: dict[str, str] | None, expected: bool) -> None:
    assert watched.is_opted_in(values) is expected


@pytest.mark.parametrize("kind", POD_KINDS, ids=lambda k: k.value.lower())
def test_every_container_of_a_pod_kind_subscribes(kind: WorkloadKind) -> None:
    obj = _obj(
        kind,
        annotations={H + "policy": "minor"},
        containers=[
            {"name": "web", "image": "nginx:1.25"},
            {"name": "side", "image": f"localhost:5000/team/side:v2@{SHA}"},
        ],
    )
    found = watched.from_object(kind, obj)
    assert found is not None
    assert found.workload == WorkloadRef(kind=kind, namespace="team", name="app")
    assert (found.uid, found.generation, found.resource_version) == ("uid-1", 3, "42")
    assert [(s.container, s.repository, s.tag, s.digest) for s in found.subscribers] == [
        ("web", "docker.io/library/nginx", "1.25", None),
        ("side", "localhost:5000/team/side", "v2", SHA),
    ]
    assert [s.image for s in found.subscribers] == [
        "nginx:1.25",
        f"localhost:5000/team/side:v2@{SHA}",
    ]
    assert all(s.annotations.policy.kind.value == "minor" for s in found.subscribers)
    assert found.problems == ()


@pytest.mark.parametrize(
    ("image", "tag", "digest"),
    [("nginx", "latest", None), (f"nginx@{SHA}", "", SHA)],
    ids=["no-tag-is-latest", "digest-only-has-no-tag"],
)
def test_tag_forms(image: str, tag: str, digest: str | None) -> None:
    obj = _obj(
        WorkloadKind.DEPLOYMENT,
        annotations={H + "policy": "force"},
        containers=[{"name": "web", "image": image}],
    )
    found = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
    assert found is not None
    assert [(s.tag, s.digest) for s in found.subscribers] == [(tag, digest)]


def test_unannotated_object_is_not_watched() -> None:
    obj = _obj(WorkloadKind.DEPLOYMENT, annotations={"team": "a"})
    assert watched.from_object(WorkloadKind.DEPLOYMENT, obj) is None


@pytest.mark.parametrize(
    ("images_annotation", "expected"),
    [
        (None, ["web"]),
        ("web", ["web"]),
        ("web,migrate", ["web", "migrate"]),
        # Main containers are always indexed; `tracks` filters them when events are matched.
        ("docker.io/team/migrate", ["web", "migrate"]),
    ],
    ids=["init-skipped-by-default", "only-main-named", "init-named", "init-by-repository"],
)
def test_init_containers_are_opt_in_through_images(
    images_annotation: str | None, expected: list[str]
) -> None:
    values = {H + "policy": "minor"}
    if images_annotation is not None:
        values[H + "images"] = images_annotation
    obj = _obj(
        WorkloadKind.DEPLOYMENT,
        annotations=values,
        containers=[{"name": "web", "image": "nginx:1.25"}],
        init=[{"name": "migrate", "image": "team/migrate:1.0"}],
    )
    found = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
    assert found is not None
    assert [s.container for s in found.subscribers] == expected


def test_unreadable_image_is_kept_as_unindexed_with_its_reason() -> None:
    obj = _obj(
        WorkloadKind.DEPLOYMENT,
        annotations={H + "policy": "minor"},
        containers=[{"name": "web", "image": "Bad Image!"}, {"name": "ok", "image": "nginx:1"}],
    )
    found = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
    assert found is not None
    assert [s.container for s in found.subscribers] == ["ok"]
    assert [(u.container, u.image) for u in found.unindexed] == [("web", "Bad Image!")]
    assert "whitespace" in found.unindexed[0].reason


@pytest.mark.parametrize(
    ("chart", "key"),
    [
        (
            {
                "chart": "podinfo",
                "version": "6.5.0",
                "sourceRef": {"kind": "HelmRepository", "name": "charts"},
            },
            "helm:team/charts/podinfo",
        ),
        (
            {
                "chart": "podinfo",
                "version": "6.5.0",
                "sourceRef": {
                    "kind": "HelmRepository",
                    "name": "charts",
                    "namespace": "flux-system",
                },
            },
            "helm:flux-system/charts/podinfo",
        ),
    ],
    ids=["source-in-release-namespace", "source-in-other-namespace"],
)
def test_helmrelease_subscribes_with_its_chart(chart: dict[str, Any], key: str) -> None:
    obj = _obj(WorkloadKind.HELMRELEASE, annotations={H + "policy": "patch"}, chart=chart)
    found = watched.from_object(WorkloadKind.HELMRELEASE, obj)
    assert found is not None
    assert [(s.container, s.repository, s.tag, s.image, s.digest) for s in found.subscribers] == [
        ("chart", key, "6.5.0", "podinfo:6.5.0", None)
    ]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({}, "has no spec.chart.spec"),
        ({"chartRef": {"kind": "OCIRepository", "name": "podinfo"}}, "spec.chartRef"),
        (
            {"chart": {"spec": {"chart": "podinfo", "version": "1.0.0"}}},
            "sourceRef.name is missing",
        ),
    ],
    ids=["no-chart", "chart-ref", "no-source"],
)
def test_helmrelease_without_a_usable_chart_is_watched_but_unindexed(
    spec: dict[str, Any], reason: str
) -> None:
    obj = _obj(WorkloadKind.HELMRELEASE, annotations={H + "policy": "patch"})
    obj["spec"] = spec
    found = watched.from_object(WorkloadKind.HELMRELEASE, obj)
    assert found is not None
    assert found.subscribers == ()
    assert len(found.unindexed) == 1
    assert reason in found.unindexed[0].reason


def test_bad_annotations_become_problems_not_errors() -> None:
    obj = _obj(
        WorkloadKind.DEPLOYMENT,
        annotations={H + "policy": "sometimes", H + "require-approval": "perhaps"},
    )
    found = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
    assert found is not None
    assert {p.key for p in found.problems} == {H + "policy", H + "require-approval"}
    assert found.annotations.policy.kind.value == "none"
    assert found.annotations.require_approval is True
    assert len(found.subscribers) == 1


def test_object_without_a_name_is_ignored() -> None:
    obj = _obj(WorkloadKind.DEPLOYMENT, annotations={H + "policy": "minor"})
    del obj["metadata"]["name"]
    assert watched.from_object(WorkloadKind.DEPLOYMENT, obj) is None
