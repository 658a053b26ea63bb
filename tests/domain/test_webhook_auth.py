"""Webhook authentication: which secret applies, and what proves it, source by source."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from headwind.settings import Settings
from headwind.webhooks import auth
from headwind.webhooks.auth import Presented
from headwind.webhooks.sources import SPECS, Source

SECRET = "s3cret-token"
BODY = b'{"events": []}'
SIGNATURE = auth.hmac_sha256(SECRET, BODY)


def config(**values: Any) -> Settings:
    """Settings from explicit values only (never the developer's environment)."""
    return Settings.model_validate(values)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(
    headers: dict[str, str] | None = None, query: dict[str, str] | None = None
) -> Presented:
    return Presented(headers=headers or {}, query=query or {}, body=BODY)


# (source, a request that proves SECRET) for every credential form each source accepts.
VALID = [
    pytest.param(Source.DOCKERHUB, request(query={"token": SECRET}), id="dockerhub:query-token"),
    pytest.param(Source.REGISTRY, request({"Authorization": f"Bearer {SECRET}"}),
                 id="registry:bearer"),
    pytest.param(Source.REGISTRY, request({"authorization": f"bearer {SECRET}"}),
                 id="registry:bearer-any-case"),
    pytest.param(Source.HARBOR, request({"Authorization": SECRET}), id="harbor:auth-header-raw"),
    pytest.param(Source.HARBOR, request({"Authorization": f"Bearer {SECRET}"}),
                 id="harbor:auth-header-bearer"),
    pytest.param(Source.GHCR, request({"X-Hub-Signature-256": f"sha256={SIGNATURE}"}),
                 id="ghcr:hub-signature"),
    pytest.param(Source.GHCR, request({"X-Hub-Signature-256": f"sha256={SIGNATURE.upper()}"}),
                 id="ghcr:hub-signature-upper-hex"),
    pytest.param(Source.QUAY, request(query={"token": SECRET}), id="quay:query-token"),
    pytest.param(Source.QUAY, request({"Authorization": basic("quay", SECRET)}),
                 id="quay:basic-auth"),
    pytest.param(Source.ACR, request({"Authorization": f"Bearer {SECRET}"}), id="acr:header"),
    pytest.param(Source.GAR, request(query={"token": SECRET}), id="gar:query-token"),
    pytest.param(Source.ARTIFACTORY, request({"X-JFrog-Event-Auth": SECRET}),
                 id="artifactory:secret-header"),
    pytest.param(Source.ARTIFACTORY, request({"x-jfrog-event-auth": SIGNATURE}),
                 id="artifactory:signed-payload"),
    pytest.param(Source.ECR, request({"Authorization": SECRET}), id="ecr:authorization"),
    pytest.param(Source.ECR, request({"x-api-key": SECRET}), id="ecr:api-key"),
    pytest.param(Source.NATIVE, request({"Authorization": f"Bearer {SECRET}"}),
                 id="native:bearer"),
    pytest.param(Source.NATIVE, request({"X-Headwind-Signature": f"sha256={SIGNATURE}"}),
                 id="native:signature"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "presented"), VALID)
def test_each_supported_credential_is_accepted(source: Source, presented: Presented) -> None:
    decision = auth.verify(SPECS[source].methods, SECRET, presented)
    assert decision.allowed, decision.reason


FORGED = [
    pytest.param(Source.DOCKERHUB, request(query={"token": "guess"}), id="dockerhub:wrong-token"),
    pytest.param(Source.DOCKERHUB, request({"Authorization": f"Bearer {SECRET}"}),
                 id="dockerhub:header-is-not-its-form"),
    pytest.param(Source.REGISTRY, request({"Authorization": "Bearer guess"}),
                 id="registry:wrong-bearer"),
    pytest.param(Source.REGISTRY, request(query={"token": SECRET}),
                 id="registry:query-is-not-its-form"),
    pytest.param(Source.HARBOR, request({"Authorization": f"{SECRET}x"}), id="harbor:wrong"),
    pytest.param(Source.GHCR, request({"X-Hub-Signature-256": "sha256=" + "0" * 64}),
                 id="ghcr:forged-signature"),
    pytest.param(Source.GHCR, request({"X-Hub-Signature-256": SIGNATURE}),
                 id="ghcr:signature-without-prefix"),
    pytest.param(Source.GHCR, request({"X-Hub-Signature-256": f"sha256={SECRET}"}),
                 id="ghcr:secret-instead-of-signature"),
    pytest.param(Source.QUAY, request({"Authorization": basic("quay", "guess")}),
                 id="quay:wrong-password"),
    pytest.param(Source.QUAY, request({"Authorization": "Basic !!!"}), id="quay:garbled-basic"),
    pytest.param(Source.ACR, request({"Authorization": "Bearer"}), id="acr:empty-bearer"),
    pytest.param(Source.GAR, request(query={"token": ""}), id="gar:empty-token"),
    pytest.param(Source.ARTIFACTORY, request({"X-JFrog-Event-Auth": "0" * 64}),
                 id="artifactory:forged-signature"),
    pytest.param(Source.ECR, request({"x-api-key": "guess"}), id="ecr:wrong-api-key"),
    pytest.param(Source.NATIVE, request({"X-Headwind-Signature": "sha256=" + "f" * 64}),
                 id="native:forged-signature"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "presented"), FORGED)
def test_forged_or_misplaced_credentials_are_refused(source: Source, presented: Presented) -> None:
    assert not auth.verify(SPECS[source].methods, SECRET, presented).allowed


@pytest.mark.parametrize("source", list(Source), ids=str)
def test_missing_credentials_are_refused_and_the_expected_form_named(source: Source) -> None:
    decision = auth.verify(SPECS[source].methods, SECRET, request())
    assert not decision.allowed
    assert decision.reason.startswith("no credentials: expected ")
    assert SPECS[source].methods[0].value in decision.reason


def test_a_signature_covers_the_exact_body() -> None:
    tampered = Presented(headers={"X-Hub-Signature-256": f"sha256={SIGNATURE}"}, body=BODY + b" ")
    assert not auth.verify(SPECS[Source.GHCR].methods, SECRET, tampered).allowed


def test_wrong_credential_says_it_does_not_match() -> None:
    decision = auth.verify(SPECS[Source.REGISTRY].methods, SECRET, request({"Authorization": "x"}))
    assert decision.reason.endswith("does not match")


def test_own_secret_wins_over_the_shared_token() -> None:
    settings = config(webhook_token="shared", webhook_quay_token="own")
    assert auth.secret_for(Source.QUAY, settings) == "own"
    assert auth.secret_for(Source.HARBOR, settings) == "shared"
    assert auth.secret_for(Source.NATIVE, settings) == "shared"


def test_shared_token_secures_a_source_without_its_own() -> None:
    settings = config(webhook_token=SECRET)
    good = request({"X-Hub-Signature-256": f"sha256={SIGNATURE}"})
    assert auth.authenticate(Source.GHCR, settings, good).allowed
    assert not auth.authenticate(Source.GHCR, settings, request()).allowed


def test_no_secret_refuses_and_names_the_settings() -> None:
    decision = auth.authenticate(Source.HARBOR, config(), request({"Authorization": "x"}))
    assert not decision.allowed
    assert "HEADWIND_WEBHOOK_HARBOR_SECRET" in decision.reason
    assert "HEADWIND_WEBHOOK_TOKEN" in decision.reason
    assert "HEADWIND_WEBHOOK_ALLOW_UNAUTHENTICATED" in decision.reason


def test_allow_unauthenticated_opens_only_sources_without_a_secret() -> None:
    settings = config(webhook_allow_unauthenticated=True, webhook_registry_token=SECRET)
    assert auth.authenticate(Source.DOCKERHUB, settings, request()).allowed
    assert not auth.authenticate(Source.REGISTRY, settings, request()).allowed


def test_posture_groups_every_source() -> None:
    groups = auth.posture(config(webhook_registry_token=SECRET))
    assert groups["secured"] == [Source.REGISTRY]
    assert groups["open"] == []
    assert len(groups["refusing"]) == len(Source) - 1
    assert auth.posture(config(webhook_token=SECRET))["secured"] == list(Source)
    assert auth.posture(config(webhook_allow_unauthenticated=True))["open"] == list(Source)


def test_every_source_names_an_existing_setting() -> None:
    for spec in SPECS.values():
        assert spec.setting in Settings.model_fields
        assert spec.variable.startswith("HEADWIND_WEBHOOK_")
