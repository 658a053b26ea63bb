"""Webhook payload parsers, on each vendor's documented example payload.

Every fixture under `tests/fixtures/webhooks/` is a vendor's own example (the document is
named in the test id's comment below); the few adapted ones say what was changed and why.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from headwind import webhooks
from headwind.webhooks import Context, PayloadError, Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"

DIGEST = "sha256:" + "a" * 64


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def triples(found: list[webhooks.PushedImage]) -> list[tuple[str, str | None, str | None]]:
    return [(image.repository, image.tag, image.digest) for image in found]


DOCUMENTED = [
    # docs.docker.com "Webhooks" → Example webhook payload.
    pytest.param(Source.DOCKERHUB, "dockerhub-push.json", Context(),
                 [("docker.io/svendowideit/testhook", "latest", None)],
                 id="dockerhub:docs-example"),
    # distribution.github.io "Work with notifications" → Envelope: one manifest push (by
    # digest: the example names no tag) and two layer pushes, which are not images.
    pytest.param(Source.REGISTRY, "registry-push-envelope.json", Context(),
                 [("registrycluster.local/library/test", None,
                   "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf")],
                 id="registry:docs-envelope-manifest-and-blobs"),
    # Same document → Events: a manifest pull, which says nothing new.
    pytest.param(Source.REGISTRY, "registry-pull.json", Context(), [],
                 id="registry:docs-pull-is-skipped"),
    # Recorded from Debian's Distribution in `headwind dev` after
    # `headwind dev push 127.0.0.1:33823/team/app:1.4.2 --platforms linux/amd64,linux/arm64`:
    # two platform manifests by digest, then the tagged index.
    pytest.param(Source.REGISTRY, "registry-multiarch-push-recorded.json", Context(),
                 [("127.0.0.1:33823/team/app", None,
                   "sha256:0f14967c43e62f62548ab3cfb67db915fa1d2253c62b9d099b314807d1ac2266"),
                  ("127.0.0.1:33823/team/app", None,
                   "sha256:44f77cffeaebfc50e7b0ef6b64be3e6073b513e8daa47834f58a252a2d7bb92e"),
                  ("127.0.0.1:33823/team/app", "1.4.2",
                   "sha256:a707689907251fe2cbf99111ae95ebd69678fc4292312d605fbf8530d0d9cd2f")],
                 id="registry:recorded-multiarch-push"),
    # goharbor.io "Configure Webhook Notifications" → Payload Format (Default, PUSH_ARTIFACT).
    pytest.param(Source.HARBOR, "harbor-push-artifact.json", Context(),
                 [("hub.harbor.com/test-webhook/debian", "latest",
                   "sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8")],
                 id="harbor:docs-default-push-artifact"),
    # goharbor/harbor src/pkg/notifier/formats/cloudevents.go → the documented CloudEvents
    # example, a pull: skipped.
    pytest.param(Source.HARBOR, "harbor-cloudevents-pulled.json", Context(), [],
                 id="harbor:cloudevents-example-pull-is-skipped"),
    # The same CloudEvents example with `type: harbor.artifact.pushed` and a tagged resource,
    # as Harbor sends for `docker push harbor.dev/library/busybox:1.36.0`.
    pytest.param(Source.HARBOR, "harbor-cloudevents-pushed.json", Context(),
                 [("harbor.dev/library/busybox", "1.36.0",
                   "sha256:dde8e930c7b6a490f728e66292bc9bce42efc9bbb5278bae40e4f30f6e00fe8c")],
                 id="harbor:cloudevents-pushed"),
    # octokit/webhooks payload-examples/api.github.com/package/published.docker.payload.json
    # (trimmed): an untagged version, so no tag; its 40-digit "sha256" is dropped.
    pytest.param(Source.GHCR, "ghcr-package-published.json", Context(event="package"),
                 [("ghcr.io/codertocat/hello-world", None, None)],
                 id="ghcr:octokit-package-published-untagged"),
    # octokit/webhooks .../registry_package/published.docker.payload.json (trimmed).
    pytest.param(Source.GHCR, "ghcr-registry-package-published.json",
                 Context(event="registry_package"),
                 [("ghcr.io/codertocat/hello-world", None, None)],
                 id="ghcr:octokit-registry-package-published"),
    # The package example with the tag GHCR fills in for a tagged push (package_url and
    # container_metadata.tag), owner in display case.
    pytest.param(Source.GHCR, "ghcr-package-published-tagged.json", Context(event="package"),
                 [("ghcr.io/codertocat/hello-world", "1.2.3",
                   "sha256:3da1996a8115d7616457760d9920b815241d0a03b34cf5f04e9a0e9d8de37498")],
                 id="ghcr:package-published-tagged"),
    # No X-GitHub-Event header: the payload's key says which event it is.
    pytest.param(Source.GHCR, "ghcr-package-published-tagged.json", Context(),
                 [("ghcr.io/codertocat/hello-world", "1.2.3",
                   "sha256:3da1996a8115d7616457760d9920b815241d0a03b34cf5f04e9a0e9d8de37498")],
                 id="ghcr:event-from-payload-key"),
    # GitHub's ping on webhook creation (docs.github.com "Webhook events and payloads" → ping).
    pytest.param(Source.GHCR, "ghcr-ping.json", Context(event="ping"), [], id="ghcr:ping"),
    pytest.param(Source.GHCR, "ghcr-ping.json", Context(), [], id="ghcr:ping-without-header"),
    # Red Hat Quay "Repository Notifications" → Repository Push.
    pytest.param(Source.QUAY, "quay-repo-push.json", Context(),
                 [("quay.io/dgangaia/test", "latest", None)], id="quay:docs-repository-push"),
    # Quay's 2013 example payload (gist jakedt/7533338): updated_tags as tag → image id.
    pytest.param(Source.QUAY, "quay-repo-push-legacy.json", Context(),
                 [("quay.io/devtable/ubuntu", "latest", None)], id="quay:legacy-tag-object"),
    # Same Red Hat document → Dockerfile Build Queued: not a push.
    pytest.param(Source.QUAY, "quay-build-queued.json", Context(), [],
                 id="quay:docs-build-queued-is-skipped"),
    # learn.microsoft.com "Azure Container Registry webhook reference" → image push event;
    # its digest is masked (`xxxx`) in the document, so it is dropped and the tag kept.
    pytest.param(Source.ACR, "acr-push.json", Context(),
                 [("myregistry.azurecr.io/hello-world", "v1", None)], id="acr:docs-push"),
    # Same document → image delete event.
    pytest.param(Source.ACR, "acr-delete.json", Context(), [], id="acr:docs-delete-is-skipped"),
    # cloud.google.com "Configuring Pub/Sub notifications" (Artifact Registry) → the INSERT
    # message with tag and (truncated in the document) digest, inside a Pub/Sub push envelope
    # (cloud.google.com "Push subscriptions" → message format).
    pytest.param(Source.GAR, "gar-insert-tag.json", Context(),
                 [("us-east1-docker.pkg.dev/my-project/my-repo/hello-world", "1.1", None)],
                 id="gar:docs-insert-tag-in-envelope"),
    pytest.param(Source.GAR, "gar-insert-unwrapped.json", Context(),
                 [("us-east1-docker.pkg.dev/my-project/my-repo/hello-world", "1.1", None)],
                 id="gar:docs-insert-unwrapped"),
    pytest.param(Source.GAR, "gar-insert-digest.json", Context(),
                 [("us-east1-docker.pkg.dev/my-project/my-repo/hello-world", None,
                   "sha256:6ec128e26cd5f1e0ad3c9e22b1a1b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4")],
                 id="gar:insert-digest-only"),
    pytest.param(Source.GAR, "gar-delete.json", Context(), [], id="gar:delete-is-skipped"),
    # jfrog.com "Domain: docker" → Docker Tag was Pushed (the bare `data` object), with the
    # registry spelled by HEADWIND_WEBHOOK_ARTIFACTORY_REGISTRY.
    pytest.param(Source.ARTIFACTORY, "artifactory-docker-pushed.json",
                 Context(artifactory_registry="acme.jfrog.io/{repo_key}"),
                 [("acme.jfrog.io/docker-remote-cache/library/ubuntu", "latest",
                   "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce")],
                 id="artifactory:docs-docker-pushed-repository-path"),
    pytest.param(Source.ARTIFACTORY, "artifactory-docker-pushed.json",
                 Context(artifactory_registry="{repo_key}.acme.jfrog.io"),
                 [("docker-remote-cache.acme.jfrog.io/library/ubuntu", "latest",
                   "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce")],
                 id="artifactory:docs-docker-pushed-subdomain"),
    # The same data in the envelope of a predefined webhook (jfrog.com "Webhooks": domain,
    # event_type, data, jpd_origin); the host comes from jpd_origin.
    pytest.param(Source.ARTIFACTORY, "artifactory-docker-pushed-envelope.json", Context(),
                 [("acme.jfrog.io/docker-local/team/app", "1.4.2",
                   "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce")],
                 id="artifactory:envelope-host-from-jpd-origin"),
    # jfrog.com "Domain: docker" → Docker Tag was Deleted.
    pytest.param(Source.ARTIFACTORY, "artifactory-docker-deleted.json", Context(), [],
                 id="artifactory:docs-deleted-is-skipped"),
    # docs.aws.amazon.com "Amazon ECR events and EventBridge" → Event for a completed image
    # push (its digest is shortened in the document, so it is dropped).
    pytest.param(Source.ECR, "ecr-image-push.json", Context(),
                 [("123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name",
                   "latest", None)], id="ecr:docs-image-push"),
    # Same document → Event for an image deletion.
    pytest.param(Source.ECR, "ecr-image-delete.json", Context(), [],
                 id="ecr:docs-image-delete-is-skipped"),
    # docs/webhooks.md → the native format, one image and a list.
    pytest.param(Source.NATIVE, "native-image.json", Context(),
                 [("registry.example.com/team/app", "1.4.2",
                   "sha256:a707689907251fe2cbf99111ae95ebd69678fc4292312d605fbf8530d0d9cd2f")],
                 id="native:docs-one-image"),
    pytest.param(Source.NATIVE, "native-images.json", Context(),
                 [("registry.example.com/team/app", "1.4.2", None),
                  ("docker.io/library/nginx", "1.27.3", None),
                  ("localhost:5000/tools/cli", "2.0.0",
                   "sha256:a707689907251fe2cbf99111ae95ebd69678fc4292312d605fbf8530d0d9cd2f")],
                 id="native:docs-image-list"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "name", "context", "expected"), DOCUMENTED)
def test_documented_payloads(
    source: Source,
    name: str,
    context: Context,
    expected: list[tuple[str, str | None, str | None]],
) -> None:
    assert triples(webhooks.parse(source, fixture(name), context)) == expected


def _edit(name: str, path: str, value: Any) -> Any:
    """The fixture with the value at dotted `path` replaced (`...` deletes it)."""
    document = fixture(name)
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return document


INVALID = [
    pytest.param(Source.DOCKERHUB, _edit("dockerhub-push.json", "push_data.tag", ...),
                 "field 'push_data.tag' is missing", id="dockerhub:no-tag"),
    pytest.param(Source.DOCKERHUB, _edit("dockerhub-push.json", "repository", ...),
                 "field 'repository' is missing", id="dockerhub:no-repository"),
    pytest.param(Source.DOCKERHUB, [1, 2], "the payload is not a JSON object",
                 id="dockerhub:array"),
    pytest.param(Source.REGISTRY, {"events": {}}, "field 'events' must be a JSON array",
                 id="registry:events-not-array"),
    pytest.param(Source.REGISTRY, {}, "field 'events' is missing", id="registry:no-events"),
    pytest.param(Source.REGISTRY,
                 _edit("registry-multiarch-push-recorded.json", "events.2.request", ...),
                 "events[2]: field 'request' is missing", id="registry:no-request-host"),
    pytest.param(Source.REGISTRY,
                 _edit("registry-multiarch-push-recorded.json", "events.2.target.repository",
                       "team/app!"),
                 "'app!' is not a valid path component", id="registry:bad-repository"),
    pytest.param(Source.REGISTRY,
                 _edit("registry-multiarch-push-recorded.json", "events.2.target.tag", "-bad"),
                 "tag '-bad' is not valid", id="registry:bad-tag"),
    pytest.param(Source.HARBOR, _edit("harbor-push-artifact.json", "type", ...),
                 "field 'type' is missing", id="harbor:no-type"),
    pytest.param(Source.HARBOR,
                 _edit("harbor-push-artifact.json", "event_data.resources.0.resource_url", ...),
                 "event_data.resources[0]: field 'resource_url' is missing",
                 id="harbor:no-resource-url"),
    pytest.param(Source.HARBOR,
                 _edit("harbor-cloudevents-pushed.json", "data.repository", ...),
                 "data: field 'repository' is missing", id="harbor:cloudevents-no-repository"),
    pytest.param(Source.GHCR,
                 _edit("ghcr-package-published-tagged.json", "package.package_version", ...),
                 "field 'package_version' is missing", id="ghcr:no-version"),
    pytest.param(Source.GHCR, {"action": "published"},
                 "no package event", id="ghcr:not-a-package-event"),
    pytest.param(Source.QUAY, _edit("quay-repo-push.json", "updated_tags", "latest"),
                 "field 'updated_tags' must be a list", id="quay:tags-not-list"),
    pytest.param(Source.QUAY, _edit("quay-repo-push.json", "docker_url", "quay.io"),
                 "field 'docker_url' is not an image name", id="quay:bad-docker-url"),
    pytest.param(Source.ACR, _edit("acr-push.json", "request", ...),
                 "field 'request' is missing", id="acr:no-request"),
    pytest.param(Source.ACR, {"action": "push", "target": {"repository": "a"},
                              "request": {"host": "r.azurecr.io"}},
                 "names neither a tag nor a digest", id="acr:no-tag-no-digest"),
    pytest.param(Source.GAR, {"message": {"data": "not base64!"}},
                 "field 'message.data' is not base64-encoded JSON", id="gar:bad-base64"),
    pytest.param(Source.GAR,
                 {"message": {"data": base64.b64encode(b'{"action": "INSERT"}').decode()}},
                 "names neither 'tag' nor 'digest'", id="gar:no-reference"),
    pytest.param(Source.GAR, {"subscription": "projects/p/subscriptions/s"},
                 "field 'message' is missing", id="gar:no-message"),
    pytest.param(Source.ARTIFACTORY, fixture("artifactory-docker-pushed.json"),
                 "set HEADWIND_WEBHOOK_ARTIFACTORY_REGISTRY",
                 id="artifactory:host-unknown-without-setting"),
    pytest.param(Source.ARTIFACTORY,
                 _edit("artifactory-docker-pushed-envelope.json", "data.image_name", ...),
                 "data: field 'image_name' is missing", id="artifactory:no-image-name"),
    pytest.param(Source.ECR, _edit("ecr-image-push.json", "account", "acme"),
                 "must be an AWS account number", id="ecr:bad-account"),
    pytest.param(Source.ECR, _edit("ecr-image-push.json", "detail.repository-name", ...),
                 "field 'detail.repository-name' is missing", id="ecr:no-repository"),
    pytest.param(Source.ECR, {"detail": {}}, "field 'detail-type' is missing",
                 id="ecr:not-eventbridge"),
    pytest.param(Source.NATIVE, {"image": "registry.example.com/team/app"},
                 "names no tag", id="native:no-tag"),
    pytest.param(Source.NATIVE, {"image": "Registry.example.com/Team/App:1"},
                 "repository names must be lower case", id="native:bad-reference"),
    pytest.param(Source.NATIVE, {"images": []}, "must be a non-empty JSON array",
                 id="native:empty-list"),
    pytest.param(Source.NATIVE, {"images": ["a:1", {"digest": DIGEST}]},
                 "images[1]: field 'image' is missing", id="native:entry-without-image"),
    pytest.param(Source.NATIVE, {"image": f"a:1@{DIGEST}", "digest": "sha256:" + "b" * 64},
                 "name different digests", id="native:conflicting-digests"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "payload", "message"), INVALID)
def test_wrong_payloads_name_the_field(source: Source, payload: Any, message: str) -> None:
    with pytest.raises(PayloadError) as raised:
        webhooks.parse(source, payload)
    assert message in str(raised.value)


def test_ecr_china_regions_use_their_own_domain() -> None:
    event = _edit("ecr-image-push.json", "region", "cn-north-1")
    [image] = webhooks.parse(Source.ECR, event)
    assert image.repository == "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/my-repository-name"


def test_docker_hub_official_images_are_library_repositories() -> None:
    event = _edit("dockerhub-push.json", "repository.repo_name", "nginx")
    [image] = webhooks.parse(Source.DOCKERHUB, event)
    assert image.repository == "docker.io/library/nginx"


def test_harbor_push_by_digest_has_no_tag() -> None:
    event = _edit("harbor-push-artifact.json", "event_data.resources.0.tag", "")
    [image] = webhooks.parse(Source.HARBOR, event)
    assert (image.tag, image.pushed_tag()) == (None, None)
    assert image.digest is not None


def test_pushed_tag_carries_what_detection_needs() -> None:
    [image] = webhooks.parse(Source.NATIVE, fixture("native-image.json"))
    tag = image.pushed_tag()
    assert tag is not None
    assert (tag.repository, tag.tag, tag.digest) == (image.repository, "1.4.2", image.digest)
    assert image.reference == f"registry.example.com/team/app:1.4.2@{image.digest}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dockerhub", Source.DOCKERHUB),
        ("REGISTRY", Source.REGISTRY),
        ("github", Source.GHCR),
        ("ghcr", Source.GHCR),
        ("gitlab", None),
    ],
    ids=lambda value: str(value),
)
def test_source_names_in_urls(name: str, expected: Source | None) -> None:
    assert webhooks.lookup(name) is expected
