"""Signed webhook deliveries of every supported format, for any repository and tag.

Each builder takes a vendor's documented example (`tests/fixtures/webhooks/`), points it at a
repository of the caller's choosing and signs it the way that vendor does, so the e2e tests
can post every format to the real API and the unit tests can check that each builder means
what it says (`Delivery.image` is the repository the payload names, as a workload writes it).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headwind.webhooks import auth

__all__ = ["BUILDERS", "Delivery"]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webhooks"
DIGEST = "sha256:a707689907251fe2cbf99111ae95ebd69678fc4292312d605fbf8530d0d9cd2f"


@dataclass(frozen=True)
class Delivery:
    """One request to `POST /webhook/<source>` and the image repository it announces."""

    source: str
    image: str
    """The pushed repository as an image reference without tag (`ghcr.io/org/web`)."""
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/webhook/{self.source}"

    def forged(self) -> Delivery:
        """The same delivery with every credential replaced by a wrong one."""
        wrong = {
            key: ("sha256=" + "0" * 64 if "signature" in key.lower() else "forged")
            for key in self.headers
            if key.lower() not in ("x-github-event", "content-type")
        }
        params = dict.fromkeys(self.params, "forged")
        return Delivery(self.source, self.image, self.body, {**self.headers, **wrong}, params)


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _dump(document: Any) -> bytes:
    return json.dumps(document).encode()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def dockerhub(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("dockerhub-push.json")
    doc["repository"]["repo_name"] = f"e2e/{name}"
    doc["push_data"]["tag"] = tag
    return Delivery("dockerhub", f"docker.io/e2e/{name}", _dump(doc), params={"token": secret})


def registry(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("registry-multiarch-push-recorded.json")
    for event in doc["events"]:
        event["target"]["repository"] = f"e2e/{name}"
        event["request"]["host"] = "registry.e2e.example:5000"
    doc["events"][-1]["target"]["tag"] = tag
    body = _dump(doc)
    return Delivery("registry", f"registry.e2e.example:5000/e2e/{name}", body, _bearer(secret))


def harbor(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("harbor-push-artifact.json")
    doc["event_data"]["repository"]["repo_full_name"] = f"e2e/{name}"
    doc["event_data"]["resources"][0]["tag"] = tag
    doc["event_data"]["resources"][0]["resource_url"] = f"harbor.e2e.example/e2e/{name}:{tag}"
    return Delivery(
        "harbor", f"harbor.e2e.example/e2e/{name}", _dump(doc), {"Authorization": secret}
    )


def harbor_cloudevents(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("harbor-cloudevents-pushed.json")
    doc["data"]["repository"]["repo_full_name"] = f"e2e/{name}"
    doc["data"]["resources"][0]["tag"] = tag
    doc["data"]["resources"][0]["resource_url"] = f"harbor.e2e.example/e2e/{name}:{tag}"
    return Delivery(
        "harbor", f"harbor.e2e.example/e2e/{name}", _dump(doc), {"Authorization": secret}
    )


def ghcr(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("ghcr-package-published-tagged.json")
    version = doc["package"]["package_version"]
    doc["package"]["namespace"], doc["package"]["name"] = "E2E-Org", name
    version["container_metadata"]["tag"] = {"name": tag, "digest": DIGEST}
    version["package_url"] = f"ghcr.io/E2E-Org/{name}:{tag}"
    body = _dump(doc)
    signature = auth.hmac_sha256(secret, body)
    headers = {"X-Hub-Signature-256": f"sha256={signature}", "X-GitHub-Event": "package"}
    return Delivery("github", f"ghcr.io/e2e-org/{name}", body, headers)


def quay(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("quay-repo-push.json")
    doc["repository"], doc["namespace"] = f"e2e/{name}", "e2e"
    doc["docker_url"] = f"quay.io/e2e/{name}"
    doc["updated_tags"] = [tag]
    return Delivery("quay", f"quay.io/e2e/{name}", _dump(doc), params={"token": secret})


def acr(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("acr-push.json")
    doc["target"].update(repository=f"e2e/{name}", tag=tag, digest=DIGEST)
    doc["request"]["host"] = "e2e.azurecr.io"
    return Delivery("acr", f"e2e.azurecr.io/e2e/{name}", _dump(doc), _bearer(secret))


def gar(name: str, tag: str, secret: str) -> Delivery:
    image = f"europe-west1-docker.pkg.dev/e2e-project/apps/{name}"
    message = {"action": "INSERT", "digest": f"{image}@{DIGEST}", "tag": f"{image}:{tag}"}
    doc = _load("gar-insert-tag.json")
    doc["message"]["data"] = base64.b64encode(_dump(message)).decode()
    return Delivery("gar", image, _dump(doc), params={"token": secret})


def artifactory(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("artifactory-docker-pushed-envelope.json")
    doc["data"].update(image_name=f"e2e/{name}", tag=tag, path=f"e2e/{name}/{tag}/manifest.json")
    body = _dump(doc)
    headers = {"X-JFrog-Event-Auth": auth.hmac_sha256(secret, body)}
    return Delivery("artifactory", f"acme.jfrog.io/docker-local/e2e/{name}", body, headers)


def ecr(name: str, tag: str, secret: str) -> Delivery:
    doc = _load("ecr-image-push.json")
    doc["region"] = "eu-west-1"
    doc["detail"].update(
        {"repository-name": f"e2e/{name}", "image-tag": tag, "image-digest": DIGEST}
    )
    image = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/e2e/{name}"
    return Delivery("ecr", image, _dump(doc), {"x-api-key": secret})


def native(name: str, tag: str, secret: str) -> Delivery:
    image = f"registry.e2e.example/e2e/{name}"
    body = _dump({"image": f"{image}:{tag}", "digest": DIGEST})
    signature = auth.hmac_sha256(secret, body)
    return Delivery("native", image, body, {"X-Headwind-Signature": f"sha256={signature}"})


BUILDERS: dict[str, Callable[[str, str, str], Delivery]] = {
    "dockerhub": dockerhub,
    "registry": registry,
    "harbor": harbor,
    "harbor-cloudevents": harbor_cloudevents,
    "ghcr": ghcr,
    "quay": quay,
    "acr": acr,
    "gar": gar,
    "artifactory": artifactory,
    "ecr": ecr,
    "native": native,
}
"""Every format, by a readable name (the test ids)."""
