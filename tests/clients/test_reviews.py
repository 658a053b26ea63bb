"""TokenReview and SubjectAccessReview: what is sent, what is understood, how long it is kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pytest

from clients.kube.client import Kube
from clients.kube.reviews import Access, KubeReviews, ReviewedUser, TtlCache
from headwind.models import WorkloadKind


class FakeKube:
    """Answers reviews from `answers` (path → status) and records every request."""

    def __init__(self, answers: Mapping[str, dict[str, Any]]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, Any]] = []

    def request(self, method: str, path: str, body: Any = None, **_: Any) -> dict[str, Any]:
        self.sent.append((path, body))
        return {"status": self.answers[path.rsplit("/", 1)[1]]}


def _reviews(**answers: dict[str, Any]) -> tuple[KubeReviews, FakeKube]:
    kube = FakeKube(answers)
    return KubeReviews(cast(Kube, kube)), kube


TOKENS = [
    pytest.param(
        {"authenticated": True, "user": {"username": "alice", "groups": ["dev"]}},
        ReviewedUser("alice", ("dev",)),
        id="authenticated",
    ),
    pytest.param({"authenticated": False, "error": "invalid"}, None, id="refused"),
    pytest.param({"authenticated": True, "user": {}}, None, id="no-username"),
    pytest.param({}, None, id="empty-status"),
]


@pytest.mark.parametrize(("status", "expected"), TOKENS)
def test_token_review(status: dict[str, Any], expected: ReviewedUser | None) -> None:
    reviews, kube = _reviews(tokenreviews=status)
    assert reviews.authenticate("secret") == expected
    [(_, body)] = kube.sent
    assert body["spec"] == {"token": "secret"}


ACCESS = [
    pytest.param(WorkloadKind.DEPLOYMENT, "web", "apps", "deployments", id="deployment"),
    pytest.param(WorkloadKind.CRONJOB, "nightly", "batch", "cronjobs", id="cronjob"),
    pytest.param(
        WorkloadKind.HELMRELEASE, "app", "helm.toolkit.fluxcd.io", "helmreleases", id="helm"
    ),
    pytest.param(WorkloadKind.STATEFULSET, None, "apps", "statefulsets", id="whole-kind"),
]


@pytest.mark.parametrize(("kind", "name", "group", "resource"), ACCESS)
def test_access_review_asks_about_the_workload(
    kind: WorkloadKind, name: str | None, group: str, resource: str
) -> None:
    reviews, kube = _reviews(subjectaccessreviews={"allowed": False, "reason": "no binding"})
    access = Access("bob", ("team",), "patch", kind, "shop", name)
    assert reviews.allowed(access) == (False, "no binding")
    [(_, body)] = kube.sent
    expected = {"verb": "patch", "group": group, "resource": resource, "namespace": "shop"}
    if name is not None:
        expected["name"] = name
    assert body["spec"] == {"user": "bob", "groups": ["team"], "resourceAttributes": expected}


def test_a_burst_asks_once() -> None:
    reviews, kube = _reviews(
        tokenreviews={"authenticated": True, "user": {"username": "alice"}},
        subjectaccessreviews={"allowed": True},
    )
    access = Access("alice", (), "patch", WorkloadKind.DEPLOYMENT, "shop", "web")
    for _ in range(20):
        reviews.authenticate("secret")
        reviews.allowed(access)
    assert len(kube.sent) == 2


def test_cached_answers_expire() -> None:
    now = [0.0]
    cache: TtlCache[int] = TtlCache(10, clock=lambda: now[0])
    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    assert (cache.get_or_compute("k", compute), cache.get_or_compute("k", compute)) == (1, 1)
    now[0] = 10.5
    assert cache.get_or_compute("k", compute) == 2


def test_the_cache_is_bounded() -> None:
    cache: TtlCache[str] = TtlCache(60, size=2)
    for key in "abc":
        cache.get_or_compute(key, str)
    recomputed = cache.get_or_compute("a", lambda: "again")
    assert recomputed == "again"
