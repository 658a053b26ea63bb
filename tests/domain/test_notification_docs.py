"""The rendered examples in docs/notifications.md are what the renderers produce today."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from headwind.models import (
    Notification,
    NotificationEvent,
    Phase,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from headwind.notifications import content, slack, teams, webhook

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"

PENDING = UpdateStatus(
    workflow_id="headwind-update/shop/web-web-1-25-4-7f3a",
    request_name="web-web-1-25-4-7f3a",
    workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="shop", name="web"),
    container="web",
    tag="1.25.4",
    phase=Phase.PENDING,
    message="patch update 1.25.3 → 1.25.4 allowed by policy patch",
    current_image="nginx:1.25.3",
    new_image="nginx:1.25.4",
    policy="patch",
    expires_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
)
DETAILS = "https://headwind.example.com/updates/shop/web-web-1-25-4-7f3a"
LINKS = content.Links(
    details=DETAILS,
    temporal="https://temporal.example.com/namespaces/default/workflows/"
    "headwind-update%2Fshop%2Fweb-web-1-25-4-7f3a",
    approve="https://headwind.example.com/approvals/eyJhY3Rpb24iOiJhcHByb3ZlIi4uLn0.3q2-7w",
    reject="https://headwind.example.com/approvals/eyJhY3Rpb24iOiJyZWplY3QiLi4ufQ.Vb9xkA",
)


def examples() -> list[Any]:
    request = Notification(event=NotificationEvent.REQUEST_CREATED, status=PENDING)
    approved = Notification(
        event=NotificationEvent.APPROVED,
        status=PENDING.model_copy(
            update={
                "phase": Phase.APPROVED,
                "approved_by": "slack:U024BE7LH",
                "message": "approved",
            }
        ),
    )
    completed = Notification(
        event=NotificationEvent.COMPLETED,
        status=PENDING.model_copy(
            update={
                "phase": Phase.COMPLETED,
                "approved_by": "slack:U024BE7LH",
                "message": "rollout finished",
                "expires_at": None,
            }
        ),
    )
    only_details = content.Links(details=DETAILS)
    return [
        list(slack.request(request, LINKS).blocks),
        list(slack.reply(approved, only_details).blocks),
        teams.message(request, LINKS),
        webhook.payload(
            completed, only_details, sent_at=datetime(2026, 12, 2, 9, 14, 3, tzinfo=UTC)
        ),
    ]


def test_the_documented_examples_are_rendered_output() -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", DOCS.read_text(), flags=re.DOTALL)
    assert [json.loads(block) for block in blocks] == examples()
