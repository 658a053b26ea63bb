"""Prometheus counters of notifications, incremented by the notify activity where it sends.

`headwind_notifications_sent_total` / `_failed_total` carry a `sink` label (`slack`, `teams`,
`webhook`); the per-sink `_slack_sent_total`, `_teams_sent_total` and `_webhook_sent_total`
count the same deliveries for dashboards that predate the label. A failure is counted once, when
the last attempt gives up, not on every retry.
"""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["FAILED", "SENT", "count_failed", "count_sent"]

SENT = Counter(
    "headwind_notifications_sent_total",
    "Notifications a sink accepted (one per transition and sink), by sink.",
    ("sink",),
)
FAILED = Counter(
    "headwind_notifications_failed_total",
    "Notifications a sink still refused when the activity's retries ran out, by sink.",
    ("sink",),
)
_PER_SINK = {
    "slack": Counter("headwind_slack_sent_total", "Slack messages posted or updated."),
    "teams": Counter("headwind_teams_sent_total", "Microsoft Teams cards posted."),
    "webhook": Counter("headwind_webhook_sent_total", "Generic webhook notifications delivered."),
}


def count_sent(sink: str) -> None:
    SENT.labels(sink=sink).inc()
    counter = _PER_SINK.get(sink)
    if counter is not None:
        counter.inc()


def count_failed(sink: str) -> None:
    FAILED.labels(sink=sink).inc()
