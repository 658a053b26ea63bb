"""TokenReview authenticates service-account tokens, as the API's `token` auth mode needs.

A token issued by TokenRequest for a fresh ServiceAccount must be recognised by TokenReview as
that ServiceAccount (issuer, signing key and audience all line up); a forged one must not.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Kube

pytestmark = pytest.mark.e2e


def _review(kube: Kube, token: str) -> Any:
    return kube.authentication.create_token_review({"spec": {"token": token}}).status


def _service_account_token(kube: Kube, namespace: str, name: str) -> str:
    kube.core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    request = kube.core.create_namespaced_service_account_token(
        name, namespace, {"spec": {"audiences": [], "expirationSeconds": 600}}
    )
    return str(request.status.token)


def test_token_of_a_service_account_is_authenticated(kube: Kube, namespace: str) -> None:
    token = _service_account_token(kube, namespace, "approver")

    status = _review(kube, token)

    assert status.authenticated is True
    assert status.user.username == f"system:serviceaccount:{namespace}:approver"
    assert f"system:serviceaccounts:{namespace}" in status.user.groups


def test_forged_token_is_rejected(kube: Kube, namespace: str) -> None:
    header, payload, signature = _service_account_token(kube, namespace, "forger").split(".")
    forged = ".".join(
        [header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )

    status = _review(kube, forged)

    assert not status.authenticated
