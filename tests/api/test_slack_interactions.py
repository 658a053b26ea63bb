"""`POST /slack/interactions`: clicks built from the message Headwind posted, signed as Slack does.

The request message is posted through the real Slack client to the local stand-in; each test
builds the `block_actions` payload Slack would send for a click on it, form-encodes and signs
it with the signing secret (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from clients.notify.slack import SlackClient
from headwind.models import (
    Notification,
    NotificationEvent,
    SlackThread,
)
from headwind.notifications import content
from headwind.notifications import slack as blocks
from tests import slack_standin
from tests.api.api_support import REQUEST, FakeUpdates, build, client, status_of
from tests.api.decisions_support import DecidingUpdates

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def standin() -> Iterator[slack_standin.StandIn]:
    with slack_standin.running() as server:
        yield server


async def posted_request(standin: slack_standin.StandIn) -> SlackThread:
    notification = Notification(event=NotificationEvent.REQUEST_CREATED, status=status_of())
    slack = SlackClient("xoxb-test", base_url=standin.api_url)
    return await slack.post(
        "#deploys", blocks.request(notification, content.Links()), metadata=None
    )


def click(
    standin: slack_standin.StandIn, thread: SlackThread, action_id: str, user: str = "U0ALICE"
) -> dict[str, Any]:
    """The payload Slack sends for a click on one of the message's buttons."""
    message = standin.messages[thread.ts]
    block = next(b for b in message["blocks"] if b["type"] == "actions")
    button = next(e for e in block["elements"] if e["action_id"] == action_id)
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0"},
        "api_app_id": "A0HEADWIND",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": thread.ts,
            "channel_id": thread.channel,
            "is_ephemeral": False,
        },
        "trigger_id": "123.456.abc",
        "team": {"id": "T0", "domain": "acme"},
        "channel": {"id": thread.channel, "name": "deploys"},
        "message": message,
        "response_url": f"{standin.url}/actions/T0/1/xyz",
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": block["block_id"],
                "text": button["text"],
                "value": button["value"],
                "style": button["style"],
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def signed(
    payload: dict[str, Any], *, secret: str = SIGNING_SECRET, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time() if at is None else at))
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


def app_for(standin: slack_standin.StandIn, updates: FakeUpdates, **values: Any) -> Any:
    return build(
        updates=updates,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token="xoxb-test",
        slack_api_url=standin.api_url,
        **values,
    )


def ephemeral(standin: slack_standin.StandIn) -> list[str]:
    answers = standin.called("/actions/T0/1/xyz")
    assert all(a.body["response_type"] == "ephemeral" for a in answers)
    assert all(a.body["replace_original"] is False for a in answers)
    return [str(a.body["text"]) for a in answers]


@pytest.mark.parametrize(
    ("action_id", "decision"),
    [(blocks.APPROVE_ACTION, "approve"), (blocks.REJECT_ACTION, "reject")],
    ids=["approve button", "reject button"],
)
async def test_a_click_decides_as_the_slack_user(
    standin: slack_standin.StandIn,
    caplog: pytest.LogCaptureFixture,
    action_id: str,
    decision: str,
) -> None:
    thread = await posted_request(standin)
    updates = DecidingUpdates()
    api = app_for(standin, updates)
    body, headers = signed(click(standin, thread, action_id))
    with caplog.at_level(logging.INFO, logger="headwind.audit"):
        async with client(api) as http:
            response = await http.post("/slack/interactions", content=body, headers=headers)
    assert response.status_code == 200
    ((what, argument),) = updates.calls
    assert what == decision
    assert argument.approver == "slack:U0ALICE"
    assert standin.called("/api/users.info")[0].body["user"] == "U0ALICE"
    (record,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "headwind.audit"]
    assert record["user"] == "slack:U0ALICE"
    assert record["display_name"] == "Alice"
    assert record["via"] == "slack"
    assert record["target"] == f"team/{REQUEST}"
    assert ephemeral(standin) == []


async def test_a_second_click_is_told_it_is_already_decided(
    standin: slack_standin.StandIn,
) -> None:
    thread = await posted_request(standin)
    updates = DecidingUpdates()
    api = app_for(standin, updates)
    async with client(api) as http:
        for _ in range(2):
            body, headers = signed(click(standin, thread, blocks.APPROVE_ACTION))
            response = await http.post("/slack/interactions", content=body, headers=headers)
            assert response.status_code == 200
    # The second click is refused, then the request is read to say who decided.
    assert updates.acted() == ["approve", "approve", "status"]
    (told,) = ephemeral(standin)
    assert told == (
        f"Already decided: update request team/{REQUEST} is Approved, "
        "approved by <@U0ALICE>. Nothing done."
    )


def _alter_body(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body.replace(b"headwind_approve", b"headwind_reject"), headers


def _forge(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64}


def _stale(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    return signed(payload, at=time.time() - 301)


def _without(name: str) -> Any:
    def drop(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        return body, {k: v for k, v in headers.items() if k != name}

    return drop


def _other_secret(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    return signed(payload, secret="another-apps-secret")


@pytest.mark.parametrize(
    "spoil",
    [
        _alter_body,
        _forge,
        _stale,
        _without("X-Slack-Signature"),
        _without("X-Slack-Request-Timestamp"),
        _other_secret,
    ],
    ids=[
        "body altered after signing",
        "forged signature",
        "stale: signed over 5 minutes ago (replay)",
        "missing signature",
        "missing timestamp",
        "signed with another app's secret",
    ],
)
async def test_an_unsigned_click_changes_nothing(
    standin: slack_standin.StandIn, spoil: Any
) -> None:
    thread = await posted_request(standin)
    updates = DecidingUpdates()
    api = app_for(standin, updates)
    body, headers = spoil(*signed(click(standin, thread, blocks.APPROVE_ACTION)))
    async with client(api) as http:
        response = await http.post("/slack/interactions", content=body, headers=headers)
    assert response.status_code == 401
    assert updates.calls == []


@pytest.mark.parametrize(
    ("approvers", "user", "acted"),
    [
        ("U0ALICE", "U0ALICE", ["approve"]),
        ("U0ALICE", "U0BOB", []),
        ("S0APPROVERS", "U0ALICE", ["approve"]),
        ("S0APPROVERS,U0CAROL", "U0BOB", []),
    ],
    ids=[
        "listed user",
        "unlisted user: told, nothing done",
        "member of a listed user group",
        "in no listed group",
    ],
)
async def test_the_approver_list(
    standin: slack_standin.StandIn, approvers: str, user: str, acted: list[str]
) -> None:
    thread = await posted_request(standin)
    updates = DecidingUpdates()
    api = app_for(standin, updates, slack_approvers=approvers)
    body, headers = signed(click(standin, thread, blocks.APPROVE_ACTION, user=user))
    async with client(api) as http:
        response = await http.post("/slack/interactions", content=body, headers=headers)
    assert response.status_code == 200
    assert updates.acted() == acted
    assert ephemeral(standin) == (
        [] if acted else ["You are not one of Headwind's Slack approvers."]
    )


async def test_other_interactions_are_acknowledged_and_ignored(
    standin: slack_standin.StandIn,
) -> None:
    updates = DecidingUpdates()
    api = app_for(standin, updates)
    body, headers = signed(
        {
            "type": "block_actions",
            "user": {"id": "U0ALICE"},
            "actions": [
                {"action_id": "open_details", "type": "button", "url": "https://hw.example"}
            ],
        }
    )
    async with client(api) as http:
        response = await http.post("/slack/interactions", content=body, headers=headers)
    assert response.status_code == 200
    assert updates.calls == []


async def test_a_signed_body_that_is_not_an_interaction_is_400(
    standin: slack_standin.StandIn,
) -> None:
    api = app_for(standin, DecidingUpdates())
    _, headers = signed({})
    body = b"payload=not-json"
    timestamp = headers["X-Slack-Request-Timestamp"]
    base = b"v0:" + timestamp.encode() + b":" + body
    headers["X-Slack-Signature"] = (
        "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    )
    async with client(api) as http:
        response = await http.post("/slack/interactions", content=body, headers=headers)
    assert response.status_code == 400


async def test_without_a_signing_secret_the_endpoint_is_off() -> None:
    updates = DecidingUpdates()
    api = build(updates=updates)
    body, headers = signed({"type": "block_actions"})
    async with client(api) as http:
        response = await http.post("/slack/interactions", content=body, headers=headers)
    assert response.status_code == 404
    assert updates.calls == []
