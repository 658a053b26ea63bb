"""The notify activity under a real worker and Temporal's own retries: one message per sink.

A minimal workflow calls the activity by its registered name with a short retry policy; the
sinks are the local Slack stand-in and its Teams and webhook paths. What an attempt delivered
reaches the next attempt through Temporal's heartbeat details, so a retry caused by one sink
never repeats another.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.notifying import NotifyActivities
from clients.notify.senders import Senders, open_senders
from headwind import names
from headwind.models import (
    Notification,
    NotificationEvent,
    NotificationResult,
    Phase,
    UpdateStatus,
    WorkloadKind,
    WorkloadRef,
)
from headwind.settings import Settings
from tests import slack_standin

ATTEMPTS = 3


@workflow.defn(name="NotifyOnce")
class NotifyOnce:
    @workflow.run
    async def run(self, notification: Notification) -> NotificationResult:
        result: NotificationResult = await workflow.execute_activity(
            names.NOTIFY,
            notification,
            result_type=NotificationResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100),
                backoff_coefficient=1.0,
                maximum_attempts=ATTEMPTS,
            ),
        )
        return result


NOTIFICATION = Notification(
    event=NotificationEvent.REQUEST_CREATED,
    status=UpdateStatus(
        workflow_id="headwind-update/shop/web-web-1-1-0-abc",
        request_name="web-web-1-1-0-abc",
        workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="shop", name="web"),
        container="web",
        tag="1.1.0",
        phase=Phase.PENDING,
        current_image="nginx:1.0.0",
        new_image="nginx:1.1.0",
    ),
)


@pytest.fixture
def standin() -> Iterator[slack_standin.StandIn]:
    with slack_standin.running() as server:
        yield server


@pytest.fixture
async def senders(standin: slack_standin.StandIn) -> AsyncIterator[tuple[Settings, Senders]]:
    settings = Settings.model_validate(
        {
            "slack_bot_token": "xoxb-test",
            "slack_channel": "#deploys",
            "slack_api_url": standin.api_url,
            "teams_webhook_url": f"{standin.url}/teams",
            "notify_webhook_url": f"{standin.url}/hook",
            "notify_webhook_secret": "hook-secret",
        }
    )
    async with open_senders(settings) as opened:
        yield settings, opened


async def run_once(
    env: WorkflowEnvironment, settings: Settings, opened: Senders
) -> NotificationResult:
    task_queue = f"notify-{uuid.uuid4().hex}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[NotifyOnce],
        activities=[NotifyActivities(settings, opened).notify],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result: NotificationResult = await env.client.execute_workflow(
            "NotifyOnce",
            NOTIFICATION,
            id=f"notify-{uuid.uuid4().hex}",
            task_queue=task_queue,
            result_type=NotificationResult,
        )
    return result


async def test_a_sink_that_recovers_costs_the_others_nothing(
    temporal_env: WorkflowEnvironment,
    standin: slack_standin.StandIn,
    senders: tuple[Settings, Senders],
) -> None:
    standin.failures["/teams"] = 1
    result = await run_once(temporal_env, *senders)
    assert result.sent == ("slack", "teams", "webhook")
    assert result.failed == ()
    assert result.slack_thread is not None
    assert len(standin.called("/api/chat.postMessage")) == 1
    assert len(standin.called("/hook")) == 1
    assert len(standin.called("/teams")) == 2


async def test_a_sink_that_stays_down_is_recorded_once_retries_run_out(
    temporal_env: WorkflowEnvironment,
    standin: slack_standin.StandIn,
    senders: tuple[Settings, Senders],
) -> None:
    standin.failures["/teams"] = ATTEMPTS
    labels = {"sink": "teams"}
    before = REGISTRY.get_sample_value("headwind_notifications_failed_total", labels) or 0.0
    result = await run_once(temporal_env, *senders)
    assert result.sent == ("slack", "webhook")
    assert result.failed == ("teams",)
    assert len(standin.called("/api/chat.postMessage")) == 1
    assert len(standin.called("/hook")) == 1
    assert len(standin.called("/teams")) == ATTEMPTS
    after = REGISTRY.get_sample_value("headwind_notifications_failed_total", labels)
    assert after == before + 1
