"""The detector on the real environment: watch, index, Warning Events, restarts, leadership, scale.

Most tests observe the environment's own `headwind run` through `GET /api/v1/workloads`, which
reads the in-memory image index and never the cluster; the leader election tests run electors
in the test process against the real apiserver, and the replica test starts a second Headwind
next to the environment's.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus

from clients.kube.client import Kube as JsonKube
from clients.kube.leases import ElectionTiming, LeaderElector, lease_path
from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli, restart_component
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

H = "headwind.sh/"
REGISTRY = "registry.e2e.example"
HR = ("helm.toolkit.fluxcd.io", "v2", "helmreleases")


def _workloads(api_url: str, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{api_url}/api/v1/workloads", params=params, timeout=30)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _names(api_url: str, namespace: str) -> list[str]:
    return [w["name"] for w in _workloads(api_url, namespace=namespace)["workloads"]]


def _wait_indexed(api_url: str, namespace: str, names: list[str], what: str) -> None:
    wait_for(
        lambda: _names(api_url, namespace),
        lambda found: sorted(found) == sorted(names),
        what=what,
        timeout=60,
    )


@dataclass(frozen=True)
class KindCase:
    """How to create, annotate and delete one kind through the Kubernetes API."""

    kind: str
    create: Callable[[Kube, str, str, dict[str, str]], None]
    patch: Callable[[Kube, str, str, dict[str, Any]], None]
    delete: Callable[[Kube, str, str], None]
    container: str
    repository: str
    tag: str


def _with(manifest: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    manifest["metadata"]["annotations"] = annotations
    return manifest


def _helmrelease(name: str, annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "interval": "5m",
            "chart": {
                "spec": {
                    "chart": "podinfo",
                    "version": "6.5.0",
                    "sourceRef": {"kind": "HelmRepository", "name": "charts"},
                }
            },
        },
    }


IMAGE = f"{REGISTRY}/team/app:1.4.2"

CASES = [
    KindCase(
        "Deployment",
        lambda k, ns, n, a: k.apps.create_namespaced_deployment(
            ns, _with(manifests.deployment(n, IMAGE, 1), a)
        ),
        lambda k, ns, n, body: k.apps.patch_namespaced_deployment(n, ns, body),
        lambda k, ns, n: k.apps.delete_namespaced_deployment(n, ns),
        "main",
        f"{REGISTRY}/team/app",
        "1.4.2",
    ),
    KindCase(
        "StatefulSet",
        lambda k, ns, n, a: k.apps.create_namespaced_stateful_set(
            ns, _with(manifests.statefulset(n, IMAGE, 1), a)
        ),
        lambda k, ns, n, body: k.apps.patch_namespaced_stateful_set(n, ns, body),
        lambda k, ns, n: k.apps.delete_namespaced_stateful_set(n, ns),
        "main",
        f"{REGISTRY}/team/app",
        "1.4.2",
    ),
    KindCase(
        "DaemonSet",
        lambda k, ns, n, a: k.apps.create_namespaced_daemon_set(
            ns, _with(manifests.daemonset(n, IMAGE), a)
        ),
        lambda k, ns, n, body: k.apps.patch_namespaced_daemon_set(n, ns, body),
        lambda k, ns, n: k.apps.delete_namespaced_daemon_set(n, ns),
        "main",
        f"{REGISTRY}/team/app",
        "1.4.2",
    ),
    KindCase(
        "CronJob",
        lambda k, ns, n, a: k.batch.create_namespaced_cron_job(
            ns, _with(manifests.cronjob(n, IMAGE), a)
        ),
        lambda k, ns, n, body: k.batch.patch_namespaced_cron_job(n, ns, body),
        lambda k, ns, n: k.batch.delete_namespaced_cron_job(n, ns),
        "main",
        f"{REGISTRY}/team/app",
        "1.4.2",
    ),
    KindCase(
        "HelmRelease",
        lambda k, ns, n, a: k.custom.create_namespaced_custom_object(
            *HR[:2], ns, HR[2], _helmrelease(n, a)
        ),
        lambda k, ns, n, body: k.custom.patch_namespaced_custom_object(*HR[:2], ns, HR[2], n, body),
        lambda k, ns, n: k.custom.delete_namespaced_custom_object(*HR[:2], ns, HR[2], n),
        "chart",
        "helm:{namespace}/charts/podinfo",
        "6.5.0",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.kind.lower() for case in CASES])
def test_annotated_workloads_are_indexed_until_deleted_or_unannotated(
    case: KindCase, dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    api = dev_env.api_url
    annotated = {H + "policy": "minor", H + "event-source": "both"}
    case.create(kube, namespace, "watched", annotated)
    case.create(kube, namespace, "plain", {"team": "a"})
    _wait_indexed(api, namespace, ["watched"], f"the annotated {case.kind} to be indexed")

    entry = _workloads(api, namespace=namespace)["workloads"][0]
    assert entry["kind"] == case.kind
    assert entry["policy"] == "minor"
    assert entry["event_source"] == "both"
    repository = case.repository.format(namespace=namespace)
    assert [(c["name"], c["repository"], c["tag"]) for c in entry["containers"]] == [
        (case.container, repository, case.tag)
    ]
    matched = _workloads(api, repository=repository)["workloads"]
    assert [(w["namespace"], w["name"]) for w in matched] == [(namespace, "watched")]

    case.patch(kube, namespace, "watched", {"metadata": {"annotations": {H + "policy": None}}})
    case.patch(
        kube, namespace, "watched", {"metadata": {"annotations": {H + "event-source": None}}}
    )
    _wait_indexed(api, namespace, [], f"the un-annotated {case.kind} to leave the index")
    assert _workloads(api, repository=repository)["workloads"] == []

    case.patch(kube, namespace, "plain", {"metadata": {"annotations": {H + "policy": "patch"}}})
    _wait_indexed(api, namespace, ["plain"], f"the newly annotated {case.kind} to be indexed")

    case.delete(kube, namespace, "plain")
    _wait_indexed(api, namespace, [], f"the deleted {case.kind} to leave the index")


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of metric `name` in Prometheus text, with its labels."""
    found = []
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            head, _, value = line.rpartition(" ")
            labels = dict(re.findall(r'(\w+)="([^"]*)"', head))
            found.append((labels, float(value)))
    return found


def _metric(url: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples on `url`/metrics that carry `labels`."""
    text = httpx.get(url + "/metrics", timeout=30).text
    return sum(
        value
        for found, value in _samples(text, name)
        if all(found.get(k) == v for k, v in labels.items())
    )


def _bad_annotation_events(kube: Kube, namespace: str) -> list[Any]:
    events = kube.core.list_namespaced_event(
        namespace, field_selector="reason=HeadwindBadAnnotation"
    ).items
    return sorted(events, key=lambda e: e.metadata.creation_timestamp)


def test_a_bad_annotation_yields_one_warning_event_per_problem_set(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    manifest = manifests.deployment("web", IMAGE, 2)
    manifest["metadata"]["annotations"] = {
        H + "policy": "minor",
        H + "require-approval": "perhaps",
    }
    kube.apps.create_namespaced_deployment(namespace, manifest)
    first = wait_for(
        lambda: _bad_annotation_events(kube, namespace),
        lambda events: len(events) == 1,
        what="a HeadwindBadAnnotation Event",
    )
    event = first[0]
    assert event.type == "Warning"
    assert event.involved_object.kind == "Deployment"
    assert event.involved_object.name == "web"
    assert event.involved_object.uid
    assert "headwind.sh/require-approval" in event.message
    assert "'true'" in event.message, "the message says which safe value is used"

    entry = _workloads(dev_env.api_url, namespace=namespace)["workloads"][0]
    assert entry["require_approval"] is True
    assert [p["key"] for p in entry["problems"]] == [H + "require-approval"]

    # The rollout's status updates and an unrelated change are watch events too.
    wait_for(
        lambda: kube.apps.read_namespaced_deployment("web", namespace).status,
        lambda status: status.ready_replicas == 2,
        what="the rollout",
    )
    kube.apps.patch_namespaced_deployment("web", namespace, {"metadata": {"labels": {"x": "1"}}})
    time.sleep(3)
    assert len(_bad_annotation_events(kube, namespace)) == 1

    kube.apps.patch_namespaced_deployment(
        "web", namespace, {"metadata": {"annotations": {H + "policy": "sometimes"}}}
    )
    events = wait_for(
        lambda: _bad_annotation_events(kube, namespace),
        lambda events: len(events) == 2,
        what="a second Event for the changed problem set",
    )
    assert any("headwind.sh/policy" in e.message for e in events)

    errors = _metric(
        dev_env.api_url, "headwind_annotation_errors_total", kind="Deployment", namespace=namespace
    )
    assert errors == 2.0, "one count per reported problem set"


def test_the_watch_survives_an_apiserver_restart(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    api = dev_env.api_url
    annotated = {H + "policy": "minor"}
    kube.apps.create_namespaced_deployment(
        namespace, _with(manifests.deployment("before", IMAGE, 1), annotated)
    )
    _wait_indexed(api, namespace, ["before"], "the first Deployment to be indexed")

    # The detector's watches fail and back off while the apiserver is down.
    restart_component(dev_env, "kube-apiserver", signal.SIGKILL, pause=2)

    def create_after() -> bool:
        try:
            kube.apps.create_namespaced_deployment(
                namespace, _with(manifests.deployment("after", IMAGE, 1), annotated)
            )
        except Exception:  # the apiserver may still be starting up its API groups
            return False
        return True

    wait_for(create_after, bool, what="the apiserver to accept a Deployment", timeout=60)
    _wait_indexed(api, namespace, ["after", "before"], "a Deployment created after the restart")
    kube.apps.delete_namespaced_deployment("before", namespace)
    _wait_indexed(api, namespace, ["after"], "a deletion after the restart")


@pytest.fixture
def json_kube(dev_env: DevStatus) -> Iterator[JsonKube]:
    client = JsonKube.connect(dev_env.kubeconfig)
    try:
        yield client
    finally:
        client.close()


QUICK = ElectionTiming(lease_duration=3, renew_deadline=2, retry_period=0.3)


def _electors(json_kube: JsonKube, namespace: str, count: int) -> list[LeaderElector]:
    return [
        LeaderElector(
            json_kube, namespace=namespace, name="e2e-leader", identity=f"replica-{i}", timing=QUICK
        )
        for i in range(count)
    ]


def _run(electors: list[LeaderElector]) -> list[threading.Thread]:
    threads = [threading.Thread(target=e.run, name=e.identity, daemon=True) for e in electors]
    for thread in threads:
        thread.start()
    return threads


def _leaders(electors: list[LeaderElector]) -> list[str]:
    return [e.identity for e in electors if e.is_leader]


def test_two_replicas_elect_one_leader_and_hand_over_on_release(
    json_kube: JsonKube, namespace: str
) -> None:
    electors = _electors(json_kube, namespace, 2)
    threads = _run(electors)
    try:
        leaders = wait_for(
            lambda: _leaders(electors), lambda found: len(found) == 1, what="a leader"
        )
        for _ in range(20):  # ten renewals: never two leaders, never a change
            assert _leaders(electors) == leaders
            time.sleep(0.3)
        holder = json_kube.get(lease_path(namespace, "e2e-leader"))["spec"]["holderIdentity"]
        assert holder == leaders[0]

        first = next(e for e in electors if e.identity == leaders[0])
        other = next(e for e in electors if e is not first)
        started = time.monotonic()
        first.stop()
        threads[electors.index(first)].join(10)
        wait_for(lambda: other.is_leader, bool, what="the other replica to take over", timeout=10)
        assert time.monotonic() - started < QUICK.lease_duration, "released, not expired"
        assert _leaders(electors) == [other.identity]
    finally:
        for each in electors:
            each.stop()
        for thread in threads:
            thread.join(10)


def test_a_crashed_leader_is_replaced_after_its_lease_expires(
    json_kube: JsonKube, namespace: str
) -> None:
    crashed, survivor = _electors(json_kube, namespace, 2)
    assert crashed.attempt(), "the first replica takes the lease, then never renews it"
    threads = _run([survivor])
    try:
        time.sleep(QUICK.lease_duration / 2)
        assert not survivor.is_leader
        wait_for(lambda: survivor.is_leader, bool, what="the takeover", timeout=15)
        lease = json_kube.get(lease_path(namespace, "e2e-leader"))["spec"]
        assert lease["holderIdentity"] == survivor.identity
        assert lease["leaseTransitions"] == 1
    finally:
        survivor.stop()
        for thread in threads:
            thread.join(10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def second_replica(dev_env: DevStatus, tmp_path: Path) -> Iterator[str]:
    """Another `headwind run` next to the environment's, competing for the same Lease."""
    port = _free_port()
    env = {
        **os.environ,
        "KUBECONFIG": dev_env.kubeconfig,
        "HEADWIND_KUBECONFIG": dev_env.kubeconfig,
        "HEADWIND_TEMPORAL_ADDRESS": dev_env.temporal_address,
        "HEADWIND_TEMPORAL_NAMESPACE": dev_env.temporal_namespace,
        # Its own task queue: it must not take workflow tasks from the environment's worker.
        "HEADWIND_TEMPORAL_TASK_QUEUE": f"e2e-replica-{uuid.uuid4().hex[:8]}",
        "HEADWIND_TEMPORAL_METRICS_PORT": str(_free_port()),
    }
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "replica.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*headwind_cli(), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        try:
            return httpx.get(url + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, bool, what=f"a second headwind run (log {log})")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_every_replica_indexes_but_only_the_leader_reports(
    dev_env: DevStatus, kube: Kube, namespace: str, second_replica: str
) -> None:
    api = dev_env.api_url
    assert _metric(api, "headwind_leader") == 1.0, "the environment's replica led first"
    assert _metric(second_replica, "headwind_leader") == 0.0

    manifest = manifests.deployment("web", IMAGE, 1)
    manifest["metadata"]["annotations"] = {H + "policy": "minor", H + "min-age": "soon"}
    kube.apps.create_namespaced_deployment(namespace, manifest)
    for url in (api, second_replica):
        _wait_indexed(url, namespace, ["web"], f"the Deployment in the index of {url}")
    wait_for(
        lambda: _bad_annotation_events(kube, namespace),
        lambda events: len(events) == 1,
        what="the leader's Warning Event",
    )
    time.sleep(2)
    assert len(_bad_annotation_events(kube, namespace)) == 1

    def errors(url: str) -> float:
        return _metric(
            url, "headwind_annotation_errors_total", kind="Deployment", namespace=namespace
        )

    assert errors(api) == 1.0
    assert errors(second_replica) == 0.0, "a follower does not report"


SCALE = 1000
LISTED = ("deployments", "statefulsets", "daemonsets", "cronjobs", "helmreleases")


def _cluster_lists(kube: Kube) -> dict[str, float]:
    """The apiserver's count of cluster-wide LISTs per watched resource (its own /metrics)."""
    api: Any = kube.client  # the kubernetes package's RESTResponse is unannotated
    response = api.call_api(*api.param_serialize("GET", "/metrics", auth_settings=["BearerToken"]))
    response.read()
    samples = _samples(response.data.decode(), "apiserver_request_total")
    return {
        resource: sum(
            value
            for labels, value in samples
            if labels.get("resource") == resource
            and labels.get("verb") == "LIST"
            and labels.get("scope") == "cluster"
        )
        for resource in LISTED
    }


def test_a_thousand_workloads_are_matched_from_the_index_without_listing(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    api = dev_env.api_url

    def create(i: int) -> None:
        manifest = manifests.cronjob(f"job-{i:04d}", f"{REGISTRY}/scale/app-{i % 100}:1.0.{i}")
        manifest["metadata"]["annotations"] = {H + "policy": "patch"}
        kube.batch.create_namespaced_cron_job(namespace, manifest)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(SCALE)))
    wait_for(
        lambda: _workloads(api, namespace=namespace, kind="CronJob")["count"],
        lambda count: count == SCALE,
        what=f"{SCALE} CronJobs in the index",
        timeout=120,
        interval=1,
    )

    # Controllers relist now and then (after an apiserver restart, several times): start from a
    # quiet moment, so any LIST during the lookups would be the lookups' own.
    def three_seconds() -> tuple[dict[str, float], dict[str, float]]:
        first = _cluster_lists(kube)
        time.sleep(3)
        return first, _cluster_lists(kube)

    before = wait_for(
        three_seconds, lambda pair: pair[0] == pair[1], what="3s without LISTs", timeout=120
    )[1]
    with httpx.Client(base_url=api, timeout=30) as client:
        for i in range(200):
            found = client.get(
                "/api/v1/workloads", params={"image": f"{REGISTRY}/scale/app-{i % 100}"}
            ).json()["workloads"]
            in_namespace = [w for w in found if w["namespace"] == namespace]
            assert len(in_namespace) == SCALE // 100
            assert all(
                c["repository"] == f"{REGISTRY}/scale/app-{i % 100}"
                for w in in_namespace
                for c in w["containers"]
            )
    after = _cluster_lists(kube)
    assert after == before, "matching 200 repositories listed nothing cluster-wide"
