"""Every event rendered for every sink: Block Kit, Adaptive Card, the webhook's JSON body."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from headwind.models import (
    Notification,
    NotificationEvent,
    Phase,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from headwind.notifications import content, slack, teams, webhook

STATUS = UpdateStatus(
    workflow_id="headwind-update/shop/web-web-1-1-0-abc",
    request_name="web-web-1-1-0-abc",
    workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="shop", name="web"),
    container="web",
    tag="1.1.0",
    phase=Phase.PENDING,
    message="minor update <1.1.0> & more",
    current_image="nginx:1.0.0",
    new_image="nginx:1.1.0",
    policy="minor",
)
LINKS = content.Links(
    details="https://hw.example/updates/shop/web-web-1-1-0-abc",
    temporal="https://temporal.example/namespaces/default/workflows/x",
    approve="https://hw.example/approvals/a.b",
    reject="https://hw.example/approvals/c.d",
)

# event → phase the workflow is in when it reports it, and who decided
CASES: list[tuple[NotificationEvent, Phase, dict[str, Any]]] = [
    (NotificationEvent.DETECTED, Phase.EVALUATING, {}),
    (NotificationEvent.REQUEST_CREATED, Phase.PENDING, {}),
    (NotificationEvent.APPROVED, Phase.APPROVED, {"approved_by": "slack:U0ALICE"}),
    (NotificationEvent.REJECTED, Phase.REJECTED, {"rejected_by": "bob"}),
    (NotificationEvent.COMPLETED, Phase.COMPLETED, {"approved_by": "alice"}),
    (NotificationEvent.FAILED, Phase.FAILED, {}),
    (NotificationEvent.ROLLBACK_TRIGGERED, Phase.MONITORING, {}),
    (NotificationEvent.ROLLBACK_COMPLETED, Phase.ROLLED_BACK, {}),
    (NotificationEvent.ROLLBACK_FAILED, Phase.FAILED, {}),
    (NotificationEvent.EXPIRED, Phase.EXPIRED, {}),
    (NotificationEvent.SUPERSEDED, Phase.SUPERSEDED, {}),
]


SHOWN = {
    NotificationEvent.APPROVED: "approved by <@U0ALICE>",  # a Slack approver is a mention
    NotificationEvent.REJECTED: "rejected by bob",
    NotificationEvent.COMPLETED: "approved by alice",
}


def notification(event: NotificationEvent, phase: Phase, **changes: Any) -> Notification:
    return Notification(event=event, status=STATUS.model_copy(update={"phase": phase, **changes}))


def ids(case: tuple[NotificationEvent, Phase, dict[str, Any]]) -> str:
    return case[0].value


def blocks_of(message: slack.Message, kind: str) -> list[dict[str, Any]]:
    return [block for block in message.blocks if block["type"] == kind]


def test_every_event_has_a_case_and_a_headline() -> None:
    assert {case[0] for case in CASES} == set(NotificationEvent) == set(content.HEADLINES)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_slack_request_message(case: tuple[NotificationEvent, Phase, dict[str, Any]]) -> None:
    event, phase, decided = case
    message = slack.request(notification(event, phase, **decided), LINKS)
    header = blocks_of(message, "header")[0]["text"]["text"]
    assert header == f"{content.HEADLINES[event]}: Deployment/shop/web (web)"
    assert message.text == header
    fields = [f["text"] for f in blocks_of(message, "section")[0]["fields"]]
    assert "*Image*\nnginx:1.0.0 → nginx:1.1.0" in fields
    assert "*Reason*\nminor update &lt;1.1.0&gt; &amp; more" in fields
    assert f"*Phase*\n{phase.value}" in fields
    decisions = [f for f in fields if f.startswith("*Decision*")]
    assert decisions == ([f"*Decision*\n{SHOWN[event]}"] if event in SHOWN else [])
    actions = blocks_of(message, "actions")
    links_line = blocks_of(message, "context")[0]["elements"][0]["text"]
    assert f"<{LINKS.details}|Details>" in links_line
    if event is NotificationEvent.REQUEST_CREATED:
        buttons = actions[0]["elements"]
        assert [(b["action_id"], b["value"]) for b in buttons] == [
            (slack.APPROVE_ACTION, "shop/web-web-1-1-0-abc"),
            (slack.REJECT_ACTION, "shop/web-web-1-1-0-abc"),
        ]
        assert f"<{LINKS.approve}|Approve in a browser>" in links_line
    else:
        assert actions == []
        assert "approvals" not in links_line


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_slack_outcome_never_has_buttons(
    case: tuple[NotificationEvent, Phase, dict[str, Any]],
) -> None:
    event, phase, decided = case
    message = slack.outcome(notification(event, phase, **decided), LINKS)
    assert blocks_of(message, "actions") == []
    assert blocks_of(message, "header")[0]["text"]["text"].startswith(content.HEADLINES[event])


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_slack_reply_says_what_happened(
    case: tuple[NotificationEvent, Phase, dict[str, Any]],
) -> None:
    event, phase, decided = case
    text = slack.reply(notification(event, phase, **decided), LINKS).blocks[0]["text"]["text"]
    assert text.startswith(f"*{content.HEADLINES[event]}* — minor update &lt;1.1.0&gt;")
    if event in {NotificationEvent.APPROVED, NotificationEvent.REJECTED}:
        assert text.endswith(f"({SHOWN[event]})")


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_teams_card(case: tuple[NotificationEvent, Phase, dict[str, Any]]) -> None:
    event, phase, decided = case
    body = teams.message(notification(event, phase, **decided), LINKS)
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == teams.CARD_VERSION
    assert card["body"][0]["text"] == content.headline(notification(event, phase))
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Image"] == "nginx:1.0.0 → nginx:1.1.0"
    titles = [a["title"] for a in card["actions"]]
    if event is NotificationEvent.REQUEST_CREATED:
        assert titles == ["Approve", "Reject", "Details", "Open in Temporal"]
        assert card["actions"][0]["url"] == LINKS.approve
    else:
        assert titles == ["Details", "Open in Temporal"]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_webhook_payload(case: tuple[NotificationEvent, Phase, dict[str, Any]]) -> None:
    event, phase, decided = case
    sent_at = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    body = webhook.payload(notification(event, phase, **decided), LINKS, sent_at=sent_at)
    json.dumps(body)  # serialisable as is
    assert body["id"] == f"{STATUS.workflow_id}/{event.value}"
    assert body["event"] == event.value
    assert body["sentAt"] == "2026-12-02T06:00:00+00:00"
    assert body["update"]["phase"] == phase.value
    assert body["update"]["workload"] == {"kind": "Deployment", "namespace": "shop", "name": "web"}
    assert body["links"]["details"] == LINKS.details


def test_links_without_a_temporal_ui() -> None:
    built = content.links(
        STATUS, public_url="https://hw.example", temporal_ui_url=None, temporal_namespace="x"
    )
    assert built.details == "https://hw.example/updates/shop/web-web-1-1-0-abc"
    assert built.temporal is None
    with_ui = content.links(
        STATUS,
        public_url="https://hw.example",
        temporal_ui_url="https://t.example",
        temporal_namespace="prod.acct",
    )
    assert with_ui.temporal == (
        "https://t.example/namespaces/prod.acct/workflows/"
        "headwind-update%2Fshop%2Fweb-web-1-1-0-abc"
    )


def click(action_id: str, value: str, **payload: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice"},
        "channel": {"id": "C0HEADWIND"},
        "message": {"ts": "1700000000.000001"},
        "response_url": "https://hooks.slack.example/actions/1",
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
        **payload,
    }


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (click(slack.APPROVE_ACTION, "shop/req"), (slack.Action.APPROVE, "shop", "req")),
        (click(slack.REJECT_ACTION, "shop/req"), (slack.Action.REJECT, "shop", "req")),
        (click("open_details", "https://x"), None),
        (click(slack.APPROVE_ACTION, "no-slash"), None),
        (click(slack.APPROVE_ACTION, "shop/req", type="view_submission"), None),
        (click(slack.APPROVE_ACTION, "shop/req", user={}), None),
    ],
    ids=[
        "approve",
        "reject",
        "link button: ignored",
        "value without a request: ignored",
        "not block_actions: ignored",
        "no user: ignored",
    ],
)
def test_decision_from_a_click(
    payload: dict[str, Any], expected: tuple[slack.Action, str, str] | None
) -> None:
    decision = slack.decision(payload)
    if expected is None:
        assert decision is None
        return
    assert decision is not None
    assert (decision.action, decision.namespace, decision.name) == expected
    assert decision.identity == "slack:U0ALICE"
    assert decision.message_ts == "1700000000.000001"
    assert decision.response_url == "https://hooks.slack.example/actions/1"
