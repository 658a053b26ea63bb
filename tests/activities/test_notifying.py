"""The notify activity against a local Slack Web API stand-in, Teams and webhook receivers.

The real slack_sdk and httpx clients talk HTTP to `tests.slack_standin`; the activity runs in
Temporal's `ActivityEnvironment`, so attempts and heartbeat details are those a worker would
hand it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notifying import BAD_ANNOTATION_REASON, FAILED_REASON, NotifyActivities
from clients.kube.client import Kube, NotFound
from clients.notify.senders import Senders, open_senders
from headwind.models import (
    Notification,
    NotificationEvent,
    NotificationResult,
    Phase,
    SlackThread,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from headwind.notifications import links, slack, webhook
from headwind.settings import Settings
from tests import slack_standin

STATUS = UpdateStatus(
    workflow_id="headwind-update/shop/web-web-1-1-0-abc",
    request_name="web-web-1-1-0-abc",
    workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="shop", name="web"),
    container="web",
    tag="1.1.0",
    phase=Phase.PENDING,
    message="minor update",
    current_image="nginx:1.0.0",
    new_image="nginx:1.1.0",
    policy="minor",
)


class FakeKube:
    """The workload's annotations, and the Events written."""

    def __init__(self, annotations: dict[str, str] | None = None) -> None:
        self.annotations = annotations
        self.events: list[dict[str, Any]] = []

    def get(self, path: str) -> dict[str, Any]:
        if self.annotations is None:
            raise NotFound(404, "gone")
        return {"metadata": {"name": "web", "annotations": self.annotations}}

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.events.append(body)
        return body


@pytest.fixture
def standin() -> Iterator[slack_standin.StandIn]:
    with slack_standin.running() as server:
        yield server


def settings_for(standin: slack_standin.StandIn, **values: Any) -> Settings:
    return Settings.model_validate(
        {
            "slack_bot_token": "xoxb-test",
            "slack_channel": "#deploys",
            "slack_api_url": standin.api_url,
            "teams_webhook_url": f"{standin.url}/teams",
            "notify_webhook_url": f"{standin.url}/hook",
            "notify_webhook_secret": "hook-secret",
            "approval_link_secret": "link-secret",
            "public_url": "https://hw.example",
            **values,
        }
    )


@pytest.fixture
async def senders(standin: slack_standin.StandIn) -> AsyncIterator[Senders]:
    async with open_senders(settings_for(standin)) as opened:
        yield opened


def environment(attempt: int = 1, details: list[Any] | None = None) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        attempt=attempt,
        heartbeat_details=details or [],
        retry_policy=RetryPolicy(maximum_attempts=5),
    )
    return env


async def notify(
    activities: NotifyActivities,
    event: NotificationEvent,
    phase: Phase,
    thread: SlackThread | None = None,
    env: ActivityEnvironment | None = None,
    changes: dict[str, Any] | None = None,
) -> NotificationResult:
    status = STATUS.model_copy(update={"phase": phase, **(changes or {})})
    notification = Notification(event=event, status=status, slack_thread=thread)
    result: NotificationResult = await (env or environment()).run(activities.notify, notification)
    return result


AUTO = {"require_approval": False}
"""An update applied without approval: Slack hears of it from its first transition."""


def counted(name: str, sink: str) -> float:
    return REGISTRY.get_sample_value(name, {"sink": sink}) or 0.0


def sent(sink: str) -> float:
    return counted("headwind_notifications_sent_total", sink)


async def test_an_approval_from_request_to_completion(
    standin: slack_standin.StandIn, senders: Senders
) -> None:
    kube = FakeKube({})
    activities = NotifyActivities(settings_for(standin), senders, cast(Kube, kube))
    before = sent("slack")

    first = await notify(activities, NotificationEvent.REQUEST_CREATED, Phase.PENDING)
    assert first.sent == ("slack", "teams", "webhook")
    assert first.slack_thread is not None
    (post,) = standin.called("/api/chat.postMessage")
    assert post.headers["Authorization"] == "Bearer xoxb-test"
    assert post.body["channel"] == "#deploys"
    assert post.body["metadata"]["event_payload"]["event_id"] == (
        f"{STATUS.workflow_id}/request.created"
    )
    posted = standin.messages[first.slack_thread.ts]
    assert [b["type"] for b in posted["blocks"]] == ["header", "section", "actions", "context"]

    # The workflow hands the thread back with each later transition.
    for event, phase, changes in [
        (NotificationEvent.APPROVED, Phase.APPROVED, {"approved_by": "slack:U0ALICE"}),
        (NotificationEvent.COMPLETED, Phase.COMPLETED, {"approved_by": "slack:U0ALICE"}),
    ]:
        later = await notify(activities, event, phase, first.slack_thread, changes=changes)
        assert later.slack_thread == first.slack_thread

    posts = standin.called("/api/chat.postMessage")
    assert len(posts) == 3
    assert [p.body.get("thread_ts") for p in posts[1:]] == [first.slack_thread.ts] * 2
    assert len(standin.called("/api/chat.update")) == 2
    original = standin.messages[first.slack_thread.ts]
    assert "actions" not in [b["type"] for b in original["blocks"]]
    assert original["text"].startswith("Update completed")
    assert "*Decision*\napproved by <@U0ALICE>" in [
        f["text"] for f in original["blocks"][1]["fields"]
    ]
    assert sent("slack") - before == 3

    cards = standin.called("/teams")
    assert len(cards) == 3
    request_card = cards[0].body["attachments"][0]["content"]
    approve_url = request_card["actions"][0]["url"]
    assert approve_url.startswith("https://hw.example/approvals/")
    claim = links.verify(b"link-secret", approve_url.rsplit("/", 1)[1], now=datetime.now(UTC))
    assert (claim.action, claim.name) == (links.LinkAction.APPROVE, STATUS.request_name)

    hooks = standin.called("/hook")
    assert [h.body["event"] for h in hooks] == [
        "request.created",
        "update.approved",
        "update.completed",
    ]
    for hook in hooks:
        assert hook.headers[webhook.EVENT_ID_HEADER] == hook.body["id"]
        assert webhook.verify(
            b"hook-secret",
            timestamp=hook.headers[webhook.TIMESTAMP_HEADER],
            body=hook.raw,
            signature=hook.headers[webhook.SIGNATURE_HEADER],
            now=float(hook.headers[webhook.TIMESTAMP_HEADER]),
        )
    assert kube.events == []


async def test_a_rate_limit_is_waited_out(standin: slack_standin.StandIn, senders: Senders) -> None:
    activities = NotifyActivities(settings_for(standin), senders)
    standin.rate_limit(1)
    result = await notify(activities, NotificationEvent.DETECTED, Phase.EVALUATING, changes=AUTO)
    assert "slack" in result.sent
    assert len(standin.called("/api/chat.postMessage")) == 2  # the 429, then the post
    assert len(standin.messages) == 1


async def test_a_retry_does_not_post_again(
    standin: slack_standin.StandIn, senders: Senders
) -> None:
    activities = NotifyActivities(settings_for(standin), senders)
    standin.answers["/teams"] = 503
    heartbeats: list[Any] = []
    env = environment(attempt=1)
    env.on_heartbeat = lambda *details: heartbeats.append(details[0])
    with pytest.raises(ApplicationError, match="teams: HTTP 503"):
        await notify(
            activities, NotificationEvent.DETECTED, Phase.EVALUATING, env=env, changes=AUTO
        )
    assert len(standin.messages) == 1
    assert len(standin.called("/hook")) == 1

    standin.answers["/teams"] = 200
    retry = environment(attempt=2, details=[heartbeats[-1]])
    result = await notify(
        activities, NotificationEvent.DETECTED, Phase.EVALUATING, env=retry, changes=AUTO
    )
    assert result.sent == ("slack", "teams", "webhook")
    assert result.slack_thread is not None
    assert result.slack_thread.ts in standin.messages
    assert len(standin.messages) == 1  # Slack: still one message
    assert len(standin.called("/hook")) == 1  # the webhook: still one delivery
    assert len(standin.called("/teams")) == 2  # Teams: the failed try and the good one


INTERRUPTED = [
    pytest.param(True, True, 0, id="the reply arrived: not posted again"),
    pytest.param(True, False, 1, id="the reply never arrived: posted"),
    pytest.param(False, True, 1, id="Slack cannot show the thread: posted"),
]


@pytest.mark.parametrize(("readable", "arrived", "posts"), INTERRUPTED)
async def test_a_retry_after_a_lost_heartbeat_looks_for_its_reply(
    standin: slack_standin.StandIn, senders: Senders, readable: bool, arrived: bool, posts: int
) -> None:
    """The attempt before died after Slack took the reply but before it could heartbeat."""
    activities = NotifyActivities(settings_for(standin), senders)
    first = await notify(activities, NotificationEvent.REQUEST_CREATED, Phase.PENDING)
    assert first.slack_thread is not None
    thread = first.slack_thread
    if not readable:
        # Slack refuses the read (no `channels:history`): the stand-in knows no such channel.
        thread = SlackThread(channel="C0ELSEWHERE", ts=thread.ts)
    if arrived:
        await notify(activities, NotificationEvent.APPROVED, Phase.APPROVED, thread)
    replies_before = len(standin.called("/api/chat.postMessage"))

    retry = environment(attempt=2)
    await notify(activities, NotificationEvent.APPROVED, Phase.APPROVED, thread, env=retry)

    assert len(standin.called("/api/chat.postMessage")) - replies_before == posts
    assert len(standin.called("/api/conversations.replies")) == 1
    event_ids = [
        message["metadata"]["event_payload"]["event_id"] for message in standin.messages.values()
    ]
    expected = 1 if readable else arrived + posts
    assert event_ids.count(f"{STATUS.workflow_id}/update.approved") == expected


async def test_a_first_attempt_posts_without_looking(
    standin: slack_standin.StandIn, senders: Senders
) -> None:
    activities = NotifyActivities(settings_for(standin), senders)
    first = await notify(activities, NotificationEvent.REQUEST_CREATED, Phase.PENDING)
    await notify(activities, NotificationEvent.APPROVED, Phase.APPROVED, first.slack_thread)
    assert standin.called("/api/conversations.replies") == []


async def test_the_last_attempt_gives_up_without_failing_the_update(
    standin: slack_standin.StandIn, senders: Senders
) -> None:
    kube = FakeKube({})
    activities = NotifyActivities(settings_for(standin), senders, cast(Kube, kube))
    standin.answers["/hook"] = 500
    failed_before = counted("headwind_notifications_failed_total", "webhook")
    result = await notify(
        activities, NotificationEvent.FAILED, Phase.FAILED, env=environment(attempt=5)
    )
    assert result.failed == ("webhook",)
    assert result.sent == ("slack", "teams")
    assert counted("headwind_notifications_failed_total", "webhook") - failed_before == 1
    assert [e["reason"] for e in kube.events] == [FAILED_REASON]


async def test_a_permanent_failure_is_not_retried(
    standin: slack_standin.StandIn, senders: Senders
) -> None:
    activities = NotifyActivities(settings_for(standin), senders, cast(Kube, FakeKube({})))
    result = await notify(
        activities,
        NotificationEvent.APPROVED,
        Phase.APPROVED,
        SlackThread(channel="C0ELSEWHERE", ts="1.2"),
    )
    assert result.failed == ("slack",)  # chat.update: message_not_found


@pytest.mark.parametrize(
    ("annotations", "posted_to", "reached", "events"),
    [
        ({"headwind.sh/notify": "slack:#payments"}, ["#payments"], ("slack",), []),
        (
            {"headwind.sh/slack-channel": "#payments"},
            ["#payments"],
            ("slack", "teams", "webhook"),
            [],
        ),
        ({"headwind.sh/notify": "none"}, [], (), []),
        (
            {"headwind.sh/notify": "pager"},
            ["#deploys"],
            ("slack", "teams", "webhook"),
            [BAD_ANNOTATION_REASON],
        ),
        (None, ["#deploys"], ("slack", "teams", "webhook"), []),
    ],
    ids=[
        "notify names a channel",
        "slack-channel moves Slack only",
        "none: nothing sent",
        "bad value: Warning Event, defaults",
        "workload gone: defaults",
    ],
)
async def test_routing_by_annotations(
    standin: slack_standin.StandIn,
    senders: Senders,
    annotations: dict[str, str] | None,
    posted_to: list[str],
    reached: tuple[str, ...],
    events: list[str],
) -> None:
    kube = FakeKube(annotations)
    activities = NotifyActivities(settings_for(standin), senders, cast(Kube, kube))
    result = await notify(activities, NotificationEvent.DETECTED, Phase.EVALUATING, changes=AUTO)
    assert result.sent == reached
    assert [p.body["channel"] for p in standin.called("/api/chat.postMessage")] == posted_to
    assert [e["reason"] for e in kube.events] == events


async def test_no_links_without_a_link_secret(standin: slack_standin.StandIn) -> None:
    settings = settings_for(standin, approval_link_secret=None)
    async with open_senders(settings) as opened:
        activities = NotifyActivities(settings, opened)
        await notify(activities, NotificationEvent.REQUEST_CREATED, Phase.PENDING)
    card = standin.called("/teams")[0].body["attachments"][0]["content"]
    assert [a["title"] for a in card["actions"]] == ["Details"]
    message = next(iter(standin.messages.values()))
    assert [b["action_id"] for b in message["blocks"][2]["elements"]] == [
        slack.APPROVE_ACTION,
        slack.REJECT_ACTION,
    ]


async def test_slack_hears_of_an_update_needing_approval_first_from_its_request(
    standin: slack_standin.StandIn, senders: Senders
) -> None:
    activities = NotifyActivities(settings_for(standin), senders)
    detected = await notify(activities, NotificationEvent.DETECTED, Phase.EVALUATING)
    assert detected.sent == ("teams", "webhook")
    assert detected.slack_thread is None
    assert standin.called("/api/chat.postMessage") == []
    request = await notify(activities, NotificationEvent.REQUEST_CREATED, Phase.PENDING)
    assert "slack" in request.sent
    (post,) = standin.called("/api/chat.postMessage")
    assert "thread_ts" not in post.body or post.body["thread_ts"] is None  # a message of its own
    assert "actions" in [b["type"] for b in post.body["blocks"]]  # posted with its buttons
