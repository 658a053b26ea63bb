"""Registry credentials for polling: a workload's imagePullSecrets and its ServiceAccount's."""

from typing import Any

import pytest

from clients import credentials, oci
from headwind import annotations
from headwind.index import Subscriber
from headwind.models import WorkloadKind, WorkloadRef
from tests.clients.polling_support import FakeKube, b64, docker_config_secret

NS = "apps"
DEPLOYMENT = f"/apis/apps/v1/namespaces/{NS}/deployments/web"
CRONJOB = f"/apis/batch/v1/namespaces/{NS}/cronjobs/nightly"
REGISTRY = "registry.example.com"


def secret_path(name: str) -> str:
    return f"/api/v1/namespaces/{NS}/secrets/{name}"


def account_path(name: str) -> str:
    return f"/api/v1/namespaces/{NS}/serviceaccounts/{name}"


def pod_spec(secrets: list[str], account: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": f"{REGISTRY}/team/app:1"}]}
    if secrets:
        spec["imagePullSecrets"] = [{"name": name} for name in secrets]
    if account:
        spec["serviceAccountName"] = account
    return spec


def deployment(spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": spec}}}


def subscriber(kind: WorkloadKind = WorkloadKind.DEPLOYMENT, name: str = "web") -> Subscriber:
    return Subscriber(
        workload=WorkloadRef(kind=kind, namespace=NS, name=name),
        container="main",
        image=f"{REGISTRY}/team/app:1",
        repository=f"{REGISTRY}/team/app",
        tag="1",
        digest=None,
        annotations=annotations.WorkloadAnnotations(),
    )


ALICE = docker_config_secret(REGISTRY, "alice", "s3cret")
BOB = docker_config_secret(REGISTRY, "bob", "hunter2")
ELSEWHERE = docker_config_secret("ghcr.io", "carol", "x")


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        pytest.param(
            {DEPLOYMENT: deployment(pod_spec(["alice"])), secret_path("alice"): ALICE},
            oci.Credentials("alice", "s3cret"),
            id="pod-image-pull-secret",
        ),
        pytest.param(
            {
                DEPLOYMENT: deployment(pod_spec([], account="builder")),
                account_path("builder"): {"imagePullSecrets": [{"name": "bob"}]},
                secret_path("bob"): BOB,
            },
            oci.Credentials("bob", "hunter2"),
            id="service-account-image-pull-secret",
        ),
        pytest.param(
            {
                DEPLOYMENT: deployment(pod_spec([])),
                account_path("default"): {"imagePullSecrets": [{"name": "bob"}]},
                secret_path("bob"): BOB,
            },
            oci.Credentials("bob", "hunter2"),
            id="default-service-account",
        ),
        pytest.param(
            {
                DEPLOYMENT: deployment(pod_spec(["alice"], account="builder")),
                account_path("builder"): {"imagePullSecrets": [{"name": "bob"}]},
                secret_path("alice"): ALICE,
                secret_path("bob"): BOB,
            },
            oci.Credentials("alice", "s3cret"),
            id="pod-secret-before-service-account",
        ),
        pytest.param(
            {
                DEPLOYMENT: deployment(pod_spec(["carol", "alice"])),
                secret_path("carol"): ELSEWHERE,
                secret_path("alice"): ALICE,
            },
            oci.Credentials("alice", "s3cret"),
            id="secret-for-another-registry-is-skipped",
        ),
        pytest.param(
            {DEPLOYMENT: deployment(pod_spec(["missing"]))},
            None,
            id="missing-secret-polls-anonymously",
        ),
        pytest.param(
            {
                DEPLOYMENT: deployment(pod_spec(["opaque", "alice"])),
                secret_path("opaque"): {"type": "Opaque", "data": {"token": b64("x")}},
                secret_path("alice"): ALICE,
            },
            oci.Credentials("alice", "s3cret"),
            id="secret-without-docker-config-is-skipped",
        ),
        pytest.param({}, None, id="workload-gone"),
    ],
)
def test_credentials_of_a_deployment(
    objects: dict[str, dict[str, Any]], expected: oci.Credentials | None
) -> None:
    secrets = credentials.PullSecrets(FakeKube(objects))
    assert secrets.credentials([subscriber()], REGISTRY, "team/app") == expected


def test_a_cronjob_pod_spec_is_read_from_its_job_template() -> None:
    cronjob = {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec(["alice"])}}}}}
    kube = FakeKube({CRONJOB: cronjob, secret_path("alice"): ALICE})
    secrets = credentials.PullSecrets(kube)
    found = secrets.credentials([subscriber(WorkloadKind.CRONJOB, "nightly")], REGISTRY, "team/app")
    assert found == oci.Credentials("alice", "s3cret")


def test_the_first_subscriber_with_credentials_serves_the_whole_scan() -> None:
    other = f"/apis/apps/v1/namespaces/{NS}/deployments/api"
    kube = FakeKube(
        {
            DEPLOYMENT: deployment(pod_spec([])),
            other: deployment(pod_spec(["alice"])),
            secret_path("alice"): ALICE,
        }
    )
    subscribers = [subscriber(name="web"), subscriber(name="api")]
    found = credentials.PullSecrets(kube).credentials(subscribers, REGISTRY, "team/app")
    assert found == oci.Credentials("alice", "s3cret")


def test_reads_are_cached_for_the_ttl() -> None:
    now = [0.0]
    kube = FakeKube({DEPLOYMENT: deployment(pod_spec(["alice"])), secret_path("alice"): ALICE})
    secrets = credentials.PullSecrets(kube, ttl=60, clock=lambda: now[0])
    secrets.credentials([subscriber()], REGISTRY, "team/app")
    reads = len(kube.gets)
    secrets.credentials([subscriber()], REGISTRY, "team/app")
    assert len(kube.gets) == reads
    now[0] = 61
    secrets.credentials([subscriber()], REGISTRY, "team/app")
    assert len(kube.gets) == 2 * reads


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        pytest.param({"data": {}}, "has none of", id="no-docker-config-key"),
        pytest.param({"data": {".dockerconfigjson": "%%%"}}, "not base64", id="not-base64"),
        pytest.param({"data": {".dockerconfigjson": b64("{")}}, "not JSON", id="not-json"),
    ],
)
def test_docker_config_of_a_bad_secret(secret: dict[str, Any], problem: str) -> None:
    with pytest.raises(oci.DockerConfigError, match=problem):
        credentials.docker_config_of(secret)


def test_legacy_dockercfg_secret() -> None:
    legacy = {
        "data": {".dockercfg": b64('{"registry.example.com": {"auth": "' + b64("u:p") + '"}}')}
    }
    (entry,) = credentials.docker_config_of(legacy)
    assert entry.credentials == oci.Credentials("u", "p")
