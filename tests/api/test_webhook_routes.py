"""`POST /webhook/{source}` in process: an injected image index and a fake proposer.

The app is built by the real factory and driven over ASGI without its lifespan, so no
Temporal server or cluster is needed: `get_proposer` is overridden with a recorder, which is
exactly the seam the route hands proposals through.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from temporalio.client import Client

from api.deps import Services
from api.main import create_app
from api.routes import webhooks as route
from clients.temporal import operations
from headwind import images, naming, webhooks
from headwind.annotations import parse as parse_annotations
from headwind.index import ImageIndex, Subscriber
from headwind.models import Proposal, WorkloadKind, WorkloadRef
from headwind.settings import Settings
from headwind.webhooks import auth
from headwind.webhooks.sources import Source
from tests.webhook_deliveries import BUILDERS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
SECRET = "route-test-secret"
FORCE = {"headwind.sh/policy": "force"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def credentials(source: Source, body: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and query that prove SECRET the way `source` does."""
    signature = auth.hmac_sha256(SECRET, body)
    if source in (Source.DOCKERHUB, Source.GAR):
        return {}, {"token": SECRET}
    if source == Source.QUAY:
        encoded = base64.b64encode(f"quay:{SECRET}".encode()).decode()
        return {"Authorization": f"Basic {encoded}"}, {}
    if source == Source.GHCR:
        return {"X-Hub-Signature-256": f"sha256={signature}", "X-GitHub-Event": "package"}, {}
    if source == Source.ARTIFACTORY:
        return {"X-JFrog-Event-Auth": signature}, {}
    if source == Source.ECR:
        return {"x-api-key": SECRET}, {}
    return {"Authorization": f"Bearer {SECRET}"}, {}


def subscriber(
    workload: str, image: str, values: dict[str, str] | None = None, container: str = "main"
) -> Subscriber:
    ref = images.parse(image)
    parsed, _ = parse_annotations(values or FORCE)
    return Subscriber(
        workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="apps", name=workload),
        container=container,
        image=image,
        repository=ref.repository_key,
        tag=ref.tag or "",
        digest=ref.digest,
        annotations=parsed,
    )


def indexed(*subscribers: Subscriber) -> ImageIndex:
    index = ImageIndex()
    for sub in subscribers:
        index.replace(sub.workload, [s for s in subscribers if s.workload == sub.workload])
    return index


class Recorder:
    """Stands in for Temporal: remembers proposals, answers like `operations.propose`."""

    def __init__(self, fail: bool = False) -> None:
        self.proposals: list[Proposal] = []
        self.fail = fail

    async def __call__(self, proposal: Proposal) -> operations.ProposalAccepted:
        if self.fail:
            raise RuntimeError("Temporal is unavailable")
        self.proposals.append(proposal)
        name = naming.request_name(proposal.workload, proposal.container, proposal.tag)
        return operations.ProposalAccepted(
            workflow_id=naming.update_workflow_id(proposal.workload.namespace, name),
            run_id=None,
            request_name=name,
            namespace=proposal.workload.namespace,
        )


def build(index: ImageIndex, recorder: Recorder, **values: Any) -> FastAPI:
    settings = Settings.model_validate({"webhook_token": SECRET, **values})
    index.mark_synced()  # a running API's index; tests of the unsynced index are in test_hardening
    app = create_app(settings, index=index)
    app.state.services = Services(
        settings=settings, temporal=cast(Client, None), kube=None, index=index
    )
    app.dependency_overrides[route.get_proposer] = lambda: recorder
    return app


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client_for() -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    def make(app: FastAPI) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://headwind"
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def counted(source: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "headwind_webhook_events_total", {"source": source, "result": result}
    )
    return value or 0.0


def processed(source: str) -> float:
    return REGISTRY.get_sample_value("headwind_webhook_events_processed", {"source": source}) or 0.0


# (source in the URL, fixture, the repository its push names, tag, the workload's current tag)
PUSHES = [
    pytest.param("dockerhub", "dockerhub-push.json", "svendowideit/testhook", "latest", "old",
                 "docker.io", id="dockerhub"),
    pytest.param("registry", "registry-multiarch-push-recorded.json", "team/app", "1.4.2",
                 "1.0.0", "127.0.0.1:33823", id="registry"),
    pytest.param("harbor", "harbor-push-artifact.json", "test-webhook/debian", "latest", "old",
                 "hub.harbor.com", id="harbor"),
    pytest.param("harbor", "harbor-cloudevents-pushed.json", "library/busybox", "1.36.0",
                 "1.35.0", "harbor.dev", id="harbor-cloudevents"),
    pytest.param("ghcr", "ghcr-package-published-tagged.json", "codertocat/hello-world", "1.2.3",
                 "1.2.0", "ghcr.io", id="ghcr"),
    pytest.param("github", "ghcr-package-published-tagged.json", "codertocat/hello-world",
                 "1.2.3", "1.2.0", "ghcr.io", id="github-alias"),
    pytest.param("quay", "quay-repo-push.json", "dgangaia/test", "latest", "old", "quay.io",
                 id="quay"),
    pytest.param("acr", "acr-push.json", "hello-world", "v1", "v0", "myregistry.azurecr.io",
                 id="acr"),
    pytest.param("gar", "gar-insert-tag.json", "my-project/my-repo/hello-world", "1.1", "1.0",
                 "us-east1-docker.pkg.dev", id="gar"),
    pytest.param("artifactory", "artifactory-docker-pushed-envelope.json", "docker-local/team/app",
                 "1.4.2", "1.0.0", "acme.jfrog.io", id="artifactory"),
    pytest.param("ecr", "ecr-image-push.json", "my-repository-name", "latest", "old",
                 "123456789012.dkr.ecr.us-west-2.amazonaws.com", id="ecr"),
    pytest.param("native", "native-image.json", "team/app", "1.4.2", "1.0.0",
                 "registry.example.com", id="native"),
]  # fmt: skip


@pytest.mark.parametrize(("url_source", "name", "path", "tag", "current", "host"), PUSHES)
async def test_every_source_proposes_the_pushed_image_and_only_for_its_registry(
    client_for: Any,
    recorder: Recorder,
    url_source: str,
    name: str,
    path: str,
    tag: str,
    current: str,
    host: str,
) -> None:
    target = subscriber("target", f"{host}/{path}:{current}")
    decoy = subscriber("decoy", f"other-registry.example.com/{path}:{current}")
    client = client_for(build(indexed(target, decoy), recorder))
    source = webhooks.lookup(url_source)
    assert source is not None
    body = fixture(name)
    headers, query = credentials(source, body)
    before = processed(source.value)

    response = await client.post(f"/webhook/{url_source}", content=body, headers=headers,
                                 params=query)  # fmt: skip

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["source"] == source.value
    assert (answer["matched"], answer["proposed"]) == (1, 1)
    assert [(p.workload.name, p.container, p.tag) for p in recorder.proposals] == [
        ("target", "main", tag)
    ]
    assert recorder.proposals[0].source == f"webhook:{source.value}"
    [result] = [r for r in answer["results"] if r["proposed"]]
    assert result["workload"] == "Deployment/apps/target"
    assert result["request_name"] == naming.request_name(target.workload, "main", tag)
    assert processed(source.value) == before + answer["images"]


async def test_forged_signature_is_refused_and_proposes_nothing(
    client_for: Any, recorder: Recorder
) -> None:
    client = client_for(
        build(indexed(subscriber("web", "ghcr.io/codertocat/hello-world:1.2.0")), recorder)
    )
    before = counted("ghcr", "unauthorized")
    response = await client.post(
        "/webhook/ghcr",
        content=fixture("ghcr-package-published-tagged.json"),
        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Event": "package"},
    )
    assert response.status_code == 401
    assert "does not match" in response.json()["detail"]
    assert recorder.proposals == []
    assert counted("ghcr", "unauthorized") == before + 1


@pytest.mark.parametrize("source", list(Source), ids=str)
async def test_every_source_refuses_a_request_without_credentials(
    client_for: Any, recorder: Recorder, source: Source
) -> None:
    client = client_for(build(ImageIndex(), recorder))
    response = await client.post(f"/webhook/{source.value}", content=b"{}")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("no credentials")


async def test_no_secret_configured_refuses_with_the_setting_to_set(
    client_for: Any, recorder: Recorder
) -> None:
    client = client_for(build(ImageIndex(), recorder, webhook_token=None))
    response = await client.post("/webhook/quay", content=fixture("quay-repo-push.json"))
    assert response.status_code == 401
    assert "HEADWIND_WEBHOOK_QUAY_TOKEN" in response.json()["detail"]


async def test_allow_unauthenticated_accepts_sources_without_a_secret(
    client_for: Any, recorder: Recorder
) -> None:
    app = build(
        indexed(subscriber("web", "quay.io/dgangaia/test:old")),
        recorder,
        webhook_token=None,
        webhook_allow_unauthenticated=True,
    )
    response = await client_for(app).post("/webhook/quay", content=fixture("quay-repo-push.json"))
    assert response.status_code == 202
    assert len(recorder.proposals) == 1


async def test_body_over_the_limit_by_content_length_is_413(
    client_for: Any, recorder: Recorder
) -> None:
    client = client_for(build(ImageIndex(), recorder, webhook_max_body_bytes=64))
    before = counted("native", "too_large")
    body = json.dumps({"image": "registry.example.com/team/app:1.0.0", "pad": "x" * 100})
    response = await client.post(
        "/webhook/native", content=body, headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert response.status_code == 413
    assert "HEADWIND_WEBHOOK_MAX_BODY_BYTES" in response.json()["detail"]
    assert counted("native", "too_large") == before + 1


async def test_body_over_the_limit_without_content_length_is_413(
    client_for: Any, recorder: Recorder
) -> None:
    client = client_for(build(ImageIndex(), recorder, webhook_max_body_bytes=64))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 16

    response = await client.post(
        "/webhook/native", content=chunks(), headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert recorder.proposals == []


NATIVE_AUTH = {"Authorization": f"Bearer {SECRET}"}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        pytest.param(b"{not json", 400, "not valid JSON", id="malformed-json"),
        pytest.param(b"", 400, "not valid JSON", id="empty-body"),
        pytest.param(b"\xff\xfe\x00", 400, "not valid JSON", id="not-text"),
        pytest.param(b'{"images": []}', 422, "field 'images' must be a non-empty", id="empty-list"),
        pytest.param(b'{"image": "app"}', 422, "names no tag", id="no-tag"),
    ],
)
async def test_bad_bodies_are_refused_with_the_reason(
    client_for: Any, recorder: Recorder, body: bytes, status: int, message: str
) -> None:
    client = client_for(build(ImageIndex(), recorder))
    before = counted("native", "invalid")
    response = await client.post("/webhook/native", content=body, headers=NATIVE_AUTH)
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert recorder.proposals == []
    assert counted("native", "invalid") == before + 1


async def test_a_vendor_payload_error_names_the_vendor(client_for: Any, recorder: Recorder) -> None:
    client = client_for(build(ImageIndex(), recorder))
    body = b'{"callback_url": "https://registry.hub.docker.com/u/a/b/hook/1/"}'
    response = await client.post("/webhook/dockerhub", content=body, params={"token": SECRET})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "not a Docker Hub push payload: field 'repository' is missing"
    )


async def test_unknown_source_is_404(client_for: Any, recorder: Recorder) -> None:
    client = client_for(build(ImageIndex(), recorder))
    response = await client.post("/webhook/gitlab", content=b"{}")
    assert response.status_code == 404
    assert "dockerhub" in response.json()["detail"]


async def test_events_that_are_not_pushes_are_accepted_and_do_nothing(
    client_for: Any, recorder: Recorder
) -> None:
    client = client_for(build(ImageIndex(), recorder))
    body = fixture("ghcr-ping.json")
    headers = {
        "X-Hub-Signature-256": f"sha256={auth.hmac_sha256(SECRET, body)}",
        "X-GitHub-Event": "ping",
    }
    response = await client.post("/webhook/github", content=body, headers=headers)
    assert response.status_code == 202
    assert response.json() == {
        "source": "ghcr",
        "images": 0,
        "matched": 0,
        "proposed": 0,
        "pushed": [],
        "results": [],
    }


async def test_judgement_is_reported_for_every_container_that_was_not_proposed(
    client_for: Any, recorder: Recorder
) -> None:
    repo = "registry.example.com/team/app"
    index = indexed(
        subscriber("minor", f"{repo}:1.0.0", {"headwind.sh/policy": "minor"}),
        subscriber("patch", f"{repo}:1.0.0", {"headwind.sh/policy": "patch"}),
        subscriber(
            "polled",
            f"{repo}:1.0.0",
            {"headwind.sh/policy": "minor", "headwind.sh/event-source": "polling"},
        ),
    )
    client = client_for(build(index, recorder))
    body = json.dumps({"image": f"{repo}:1.4.2"}).encode()
    response = await client.post("/webhook/native", content=body, headers=NATIVE_AUTH)
    answer = response.json()
    assert (answer["matched"], answer["proposed"]) == (3, 1)
    reasons = {r["workload"]: (r["proposed"], r["reason"]) for r in answer["results"]}
    assert reasons["Deployment/apps/minor"] == (True, "proposed")
    assert reasons["Deployment/apps/polled"] == (False, "event-source is polling")
    assert reasons["Deployment/apps/patch"][0] is False
    assert [p.workload.name for p in recorder.proposals] == ["minor"]


async def test_push_by_digest_only_matches_but_proposes_nothing(
    client_for: Any, recorder: Recorder
) -> None:
    index = indexed(subscriber("gar", "us-east1-docker.pkg.dev/my-project/my-repo/hello-world:1.0"))
    client = client_for(build(index, recorder))
    response = await client.post(
        "/webhook/gar", content=fixture("gar-insert-digest.json"), params={"token": SECRET}
    )
    answer = response.json()
    assert (answer["images"], answer["matched"], answer["proposed"]) == (1, 1, 0)
    assert "pushed by digest only" in answer["results"][0]["reason"]


async def test_the_same_tag_twice_in_one_delivery_is_proposed_once(
    client_for: Any, recorder: Recorder
) -> None:
    repo = "registry.example.com/team/app"
    client = client_for(build(indexed(subscriber("web", f"{repo}:1.0.0")), recorder))
    body = json.dumps({"images": [f"{repo}:1.4.2", f"{repo}:1.4.2"]}).encode()
    response = await client.post("/webhook/native", content=body, headers=NATIVE_AUTH)
    assert response.json()["proposed"] == 1
    assert len(recorder.proposals) == 1


async def test_temporal_failure_is_503_so_the_sender_retries(client_for: Any) -> None:
    failing = Recorder(fail=True)
    repo = "registry.example.com/team/app"
    client = client_for(build(indexed(subscriber("web", f"{repo}:1.0.0")), failing))
    before = counted("native", "error")
    body = json.dumps({"image": f"{repo}:1.4.2"}).encode()
    response = await client.post("/webhook/native", content=body, headers=NATIVE_AUTH)
    assert response.status_code == 503
    assert "retrying the delivery is safe" in response.json()["detail"]
    assert counted("native", "error") == before + 1


@pytest.fixture
def caplog_info(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level("INFO", logger="api.routes.webhooks"):
        yield caplog


def test_startup_log_lists_open_and_refusing_sources(
    caplog_info: pytest.LogCaptureFixture,
) -> None:
    route.log_auth_posture(Settings.model_validate({"webhook_registry_token": SECRET}))
    text = caplog_info.text
    assert "secured by a secret: registry" in text
    assert "refusing every request" in text
    assert "dockerhub" in text
    caplog_info.clear()
    route.log_auth_posture(Settings.model_validate({"webhook_allow_unauthenticated": True}))
    assert "OPEN without authentication" in caplog_info.text


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
async def test_the_e2e_deliveries_mean_what_they_say(
    client_for: Any, recorder: Recorder, fmt: str
) -> None:
    delivery = BUILDERS[fmt]("web", "1.4.2", SECRET)
    index = indexed(subscriber("web", f"{delivery.image}:1.0.0", {"headwind.sh/policy": "minor"}))
    client = client_for(build(index, recorder, webhook_artifactory_registry=None))

    forged = delivery.forged()
    refused = await client.post(
        forged.path, content=forged.body, headers=forged.headers, params=forged.params
    )
    assert refused.status_code == 401, refused.text
    assert recorder.proposals == []

    response = await client.post(
        delivery.path, content=delivery.body, headers=delivery.headers, params=delivery.params
    )
    assert response.status_code == 202, response.text
    assert [(p.workload.name, p.tag) for p in recorder.proposals] == [("web", "1.4.2")]
