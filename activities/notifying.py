"""The notify activity: one transition of an update, told to every sink its workload routes to.

Slack: the update's first notification posts a message and returns where it is
(`NotificationResult.slack_thread`); the workflow hands that back with every later
notification, which then replies in the thread and re-renders the first message (its buttons
gone once nobody needs to decide). Keeping the reference in workflow state costs no extra
activity or lookup. Teams and the generic webhook get one message per transition.

Retries: Temporal retries the activity while a sink fails for a reason that may pass. Sinks
that already took the notification are remembered in the activity's heartbeat details, which
Temporal hands to the next attempt, so a retry never posts twice. An attempt that died before
its heartbeat left (kill -9 while Slack answered) is covered for thread replies: a retry looks
for the event id in the thread first. When the last attempt still
fails, or the failure is permanent, the failure is counted, logged and turned into a Warning
Event, and the activity completes: a failing sink never fails the update.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from clients.kube import events
from clients.kube.client import Kube, KubeError, resource_path
from clients.notify.errors import SinkError
from clients.notify.senders import Senders
from headwind import names
from headwind.models import (
    Notification,
    NotificationEvent,
    NotificationResult,
    SlackThread,
    UpdateStatus,
)
from headwind.notifications import content, links, routing, slack, teams, webhook
from headwind.settings import Settings
from metrics import notifications as metrics

if TYPE_CHECKING:
    from clients.notify.slack import SlackClient

__all__ = ["BAD_ANNOTATION_REASON", "FAILED_REASON", "NotifyActivities"]

log = logging.getLogger("headwind.notifications")

BAD_ANNOTATION_REASON = "HeadwindBadAnnotation"
FAILED_REASON = "HeadwindNotificationFailed"

_SLACK_POSTED = "slack.posted"
_SLACK_UPDATED = "slack.updated"


class NotifyActivities:
    """Holds the senders (and the cluster, for routing annotations and Events)."""

    def __init__(self, settings: Settings, senders: Senders, kube: Kube | None = None) -> None:
        self._settings = settings
        self._senders = senders
        self._kube = kube

    @property
    def default_route(self) -> routing.Route:
        """Every configured sink (Slack without a default channel only where a workload names
        one)."""
        sinks = set()
        if self._senders.slack is not None:
            sinks.add(routing.Sink.SLACK)
        if self._senders.teams is not None:
            sinks.add(routing.Sink.TEAMS)
        if self._senders.webhook is not None:
            sinks.add(routing.Sink.WEBHOOK)
        return routing.Route(sinks=frozenset(sinks), slack_channel=self._settings.slack_channel)

    @activity.defn(name=names.NOTIFY)
    async def notify(self, notification: Notification) -> NotificationResult:
        """One call per transition; returns the Slack thread for the next notifications."""
        status = notification.status
        log.info(
            json.dumps(
                {
                    "event": "notification",
                    "kind": notification.event,
                    "eventId": content.event_id(notification),
                    "workload": str(status.workload),
                    "container": status.container,
                    "newImage": status.new_image,
                    "phase": status.phase.value,
                }
            )
        )
        route = await self._route(status, notification.routing)
        progress = _Progress.resume()
        link_set = self._links(notification)
        sent: list[str] = []
        failed: list[str] = []
        retry: SinkError | None = None
        for sink in sorted(self._deliverable(route, notification)):
            if progress.done(sink):
                sent.append(sink.value)
                continue
            try:
                await self._send(sink, notification, route, link_set, progress)
            except SinkError as error:
                if error.retryable and not _last_attempt():
                    retry = retry or error
                    continue
                await self._give_up(status, sink, error)
                failed.append(sink.value)
                continue
            progress.finish(sink)
            metrics.count_sent(sink.value)
            sent.append(sink.value)
        if retry is not None:
            raise ApplicationError(f"notification not delivered: {retry}", type="SinkError")
        return NotificationResult(
            sent=tuple(sent),
            failed=tuple(failed),
            slack_thread=progress.thread or notification.slack_thread,
        )

    async def _send(
        self,
        sink: routing.Sink,
        notification: Notification,
        route: routing.Route,
        link_set: content.Links,
        progress: _Progress,
    ) -> None:
        senders = self._senders
        if sink is routing.Sink.SLACK and senders.slack is not None:
            await self._slack(senders.slack, notification, route, link_set, progress)
        elif sink is routing.Sink.TEAMS and senders.teams is not None:
            await senders.teams.post(teams.message(notification, link_set))
        elif sink is routing.Sink.WEBHOOK and senders.webhook is not None:
            body = webhook.payload(notification, link_set, sent_at=datetime.now(UTC))
            await senders.webhook.send(body, event_id=content.event_id(notification))

    def _deliverable(
        self, route: routing.Route, notification: Notification
    ) -> frozenset[routing.Sink]:
        """The route's sinks that can be reached: Slack needs a channel or an earlier thread.

        Slack hears of an update that needs approval first from its request, posted with the
        buttons: a "detected" message given its buttons later by an edit would notify nobody.
        """
        if route.slack_channel is None and notification.slack_thread is None:
            return route.sinks - {routing.Sink.SLACK}
        if (
            notification.event is NotificationEvent.DETECTED
            and notification.status.require_approval
            and notification.slack_thread is None
        ):
            return route.sinks - {routing.Sink.SLACK}
        return route.sinks

    async def _slack(
        self,
        client: SlackClient,
        notification: Notification,
        route: routing.Route,
        link_set: content.Links,
        progress: _Progress,
    ) -> None:
        first = notification.slack_thread
        if first is None:
            if not progress.step(_SLACK_POSTED):
                progress.thread = await client.post(
                    route.slack_channel or "",
                    slack.request(notification, link_set),
                    metadata=slack.metadata(notification),
                )
                progress.mark(_SLACK_POSTED)
            return
        if not progress.step(_SLACK_POSTED):
            # An earlier attempt that died between Slack's answer and its heartbeat left no
            # trace here, but its reply carries the event id: look before posting again.
            retried = activity.info().attempt > 1
            if not (retried and await client.has_reply(first, content.event_id(notification))):
                await client.post(
                    first.channel,
                    slack.reply(notification, link_set),
                    metadata=slack.metadata(notification),
                    thread=first,
                )
            progress.mark(_SLACK_POSTED)
        if not progress.step(_SLACK_UPDATED):
            await client.update(first, slack.request(notification, link_set))
            progress.mark(_SLACK_UPDATED)

    def _links(self, notification: Notification) -> content.Links:
        status = notification.status
        approve = reject = None
        secret = self._settings.approval_link_secret
        if secret is not None and content.offers_decision(notification):
            approve, reject = (
                self._link(secret.get_secret_value().encode(), status, action)
                for action in (links.LinkAction.APPROVE, links.LinkAction.REJECT)
            )
        return content.links(
            status,
            public_url=self._settings.base_url,
            temporal_ui_url=self._settings.temporal_ui_url,
            temporal_namespace=self._settings.temporal_namespace,
            approve=approve,
            reject=reject,
        )

    def _link(self, secret: bytes, status: UpdateStatus, action: links.LinkAction) -> str:
        token = links.sign(
            secret,
            action=action,
            namespace=status.workload.namespace,
            name=status.request_name,
            workflow_id=status.workflow_id,
            now=datetime.now(UTC),
            ttl=self._settings.approval_link_ttl,
        )
        return f"{self._settings.base_url}/approvals/{token}"

    async def _route(self, status: UpdateStatus, known: Mapping[str, str] | None) -> routing.Route:
        default = self.default_route
        annotations = known if known is not None else await self._annotations(status)
        route, problems = routing.route(annotations, default)
        for problem in problems:
            log.warning("%s: %s", status.workload, problem)
            await self._event(
                status,
                reason=BAD_ANNOTATION_REASON,
                message=str(problem),
                key=f"notify-route/{problem.key}/{problem.value}",
            )
        return route

    async def _annotations(self, status: UpdateStatus) -> Mapping[str, str]:
        if self._kube is None:
            return {}
        workload = status.workload
        path = resource_path(workload.kind, workload.namespace, workload.name)
        try:
            obj: dict[str, Any] = await asyncio.to_thread(self._kube.get, path)
        except KubeError as error:
            # Gone or unreadable: the global route still reaches someone.
            log.warning("routing %s by the defaults: %s", workload, error)
            return {}
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        return {str(k): str(v) for k, v in annotations.items()}

    async def _give_up(self, status: UpdateStatus, sink: routing.Sink, error: SinkError) -> None:
        metrics.count_failed(sink.value)
        log.error("notification to %s failed for good for %s: %s", sink, status.workflow_id, error)
        await self._event(
            status,
            reason=FAILED_REASON,
            message=f"{status.container}: notification to {sink.value} failed: {error}",
            key=f"{status.workflow_id}/notify/{sink.value}/{len(status.timeline)}",
        )

    async def _event(self, status: UpdateStatus, *, reason: str, message: str, key: str) -> None:
        if self._kube is None:
            return
        try:
            await asyncio.to_thread(
                events.emit,
                self._kube,
                status.workload,
                event_type=events.EventType.WARNING,
                reason=reason,
                message=message,
                key=key,
            )
        except KubeError as error:
            log.warning("could not record an Event on %s: %s", status.workload, error)


def _last_attempt() -> bool:
    info = activity.info()
    maximum = info.retry_policy.maximum_attempts if info.retry_policy else 0
    return maximum > 0 and info.attempt >= maximum


class _Progress:
    """What earlier attempts of this activity delivered, carried in heartbeat details."""

    def __init__(self, steps: set[str], thread: SlackThread | None) -> None:
        self._steps = steps
        self.thread = thread

    @classmethod
    def resume(cls) -> _Progress:
        details = activity.info().heartbeat_details
        if not details or not isinstance(details[0], dict):
            return cls(set(), None)
        saved = details[0]
        thread = saved.get("thread")
        return cls(
            {str(step) for step in saved.get("steps") or ()},
            SlackThread.model_validate(thread) if isinstance(thread, dict) else None,
        )

    def done(self, sink: routing.Sink) -> bool:
        return sink.value in self._steps

    def step(self, name: str) -> bool:
        return name in self._steps

    def mark(self, name: str) -> None:
        self._steps.add(name)
        activity.heartbeat(
            {
                "steps": sorted(self._steps),
                "thread": self.thread.model_dump() if self.thread else None,
            }
        )

    def finish(self, sink: routing.Sink) -> None:
        self.mark(sink.value)
