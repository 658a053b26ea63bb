"""Transition records: Events and UpdateRequest mirror, idempotent and tolerant of deletions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities.transitions import TransitionActivities
from clients.kube.client import Conflict, NotFound
from headwind.mirroring import request_body
from headwind.models import Phase, TransitionReport, UpdateStatus, WorkloadKind, WorkloadRef
from headwind.settings import Settings


class FakeKube:
    """Answers every write with a fixed error (or records it)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.created: list[tuple[str, dict[str, Any]]] = []
        self.patched: list[tuple[str, dict[str, Any]]] = []

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.error:
            raise self.error
        self.created.append((path, body))
        return body

    def get(self, path: str) -> dict[str, Any]:
        raise NotFound(404, "not found")

    def merge_patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.patched.append((path, body))
        return body


def _status(phase: Phase, *, approval: bool = True) -> UpdateStatus:
    return UpdateStatus(
        workflow_id="headwind-update/shop/web-web-1-1-0-abc",
        request_name="web-web-1-1-0-abc",
        workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="shop", name="web"),
        container="web",
        tag="1.1.0",
        phase=phase,
        current_image="nginx:1.0.0",
        new_image="nginx:1.1.0",
        policy="minor",
        require_approval=approval,
        approved_by="alice",
        approved_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("error", "events"),
    [(None, 1), (Conflict(409, "exists"), 0), (NotFound(404, "namespace gone"), 0)],
    ids=["written", "retry-finds-it-written", "namespace-deleted"],
)
def test_record_transition_never_fails_on_gone_or_existing(
    error: Exception | None, events: int
) -> None:
    kube = FakeKube(error)
    activities = TransitionActivities(kube)  # type: ignore[arg-type]
    report = TransitionReport(status=_status(Phase.COMPLETED, approval=False))
    ActivityEnvironment().run(activities.record_transition, report)
    assert len(kube.created) == events


def test_pending_request_is_mirrored_with_printer_fields() -> None:
    kube = FakeKube()
    activities = TransitionActivities(kube)  # type: ignore[arg-type]
    ActivityEnvironment().run(
        activities.record_transition, TransitionReport(status=_status(Phase.PENDING))
    )
    kinds = [body["kind"] for _, body in kube.created]
    assert kinds == ["Event", "UpdateRequest"]
    status_patch = kube.patched[-1]
    assert status_patch[0].endswith("/updaterequests/web-web-1-1-0-abc/status")
    assert status_patch[1]["status"]["phase"] == "Pending"


def test_request_body_fields() -> None:
    body = request_body(_status(Phase.APPROVED))
    assert body["spec"]["targetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
    }
    assert body["status"]["approvedBy"] == "alice"
    assert body["status"]["approvedAt"] == "2026-01-02T03:04:05Z"
    assert "rejectedBy" not in body["status"]


def test_the_mirror_links_to_the_web_ui_and_temporal() -> None:
    settings = Settings(public_url="https://hw.example/", temporal_ui_url="https://t.example")
    kube = FakeKube()
    activities = TransitionActivities(kube, settings)  # type: ignore[arg-type]
    ActivityEnvironment().run(
        activities.record_transition, TransitionReport(status=_status(Phase.PENDING))
    )
    links = kube.patched[-1][1]["status"]["links"]
    assert links["ui"].startswith("https://hw.example/updates/")
    assert links["temporal"].startswith("https://t.example/namespaces/default/workflows/")


def test_without_settings_the_mirror_has_no_links() -> None:
    assert "links" not in request_body(_status(Phase.PENDING))["status"]
