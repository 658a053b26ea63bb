"""Where the observability page's numbers come from: a metrics backend, or this process.

`start` builds the source from settings when the app starts and probes the configured backend
once, logging what it found. With a backend that answers, the page shows each headline over a
time window with a chart; otherwise (none configured, or it did not answer) it shows a live
snapshot of this process's own registry, with a note saying why. A backend that failed its
probe is probed again when the page is next shown, at most every `REPROBE_SECONDS`, so a
backend that starts after Headwind is picked up without a restart. No backend call can break
or stall the page: every read shares one deadline, and any failure falls back to the snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta

from prometheus_client import REGISTRY
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.ui import charts
from clients import timeseries
from clients.timeseries import Kind, Metric, Span
from headwind import durations
from headwind.settings import Settings

__all__ = [
    "HEADLINES",
    "REPROBE_SECONDS",
    "Card",
    "Headline",
    "MetricsSource",
    "View",
    "snapshot_totals",
    "start",
]

log = logging.getLogger(__name__)

REPROBE_SECONDS = 30.0


@dataclass(frozen=True)
class Headline:
    label: str
    metric: Metric
    unit: str
    """What one count is, for chart summaries ("webhook events")."""

    @property
    def family(self) -> str:
        """The family name in a `/metrics` snapshot (counters without `_total`)."""
        return self.metric.name.removesuffix("_total")


HEADLINES = (
    Headline("Updates applied", Metric("headwind_updates_applied_total", Kind.COUNTER), "updates"),
    Headline(
        "Pending approval", Metric("headwind_updates_pending", Kind.GAUGE), "pending approvals"
    ),
    Headline("Rolled back", Metric("headwind_rollbacks_total", Kind.COUNTER), "rollbacks"),
    Headline(
        "Webhook events", Metric("headwind_webhook_events_total", Kind.COUNTER), "webhook events"
    ),
    Headline(
        "Polling errors", Metric("headwind_polling_errors_total", Kind.COUNTER), "polling errors"
    ),
    Headline(
        "Notification failures",
        Metric("headwind_notifications_failed_total", Kind.COUNTER),
        "failed notifications",
    ),
)
"""The numbers at the top of the observability page, in order."""


@dataclass(frozen=True)
class Card:
    """One headline as the page shows it."""

    label: str
    metric: str
    shown: str
    caption: str
    chart: charts.Chart | None = None


@dataclass(frozen=True)
class View:
    """What the page shows: cards, where they come from, and why."""

    cards: list[Card]
    note: str
    backend: str | None = None
    """The backend the cards were read from (`prometheus`, …); None for the live snapshot."""
    warning: bool = False
    """The note explains why a configured backend is not used (or holds nothing)."""
    window: str | None = None
    """How far back the charts reach (`1h`); None without charts."""


def snapshot_totals() -> dict[str, float]:
    """Every family of this process's `/metrics`, its samples summed (`_total` dropped)."""
    totals: dict[str, float] = {}
    text = generate_latest(REGISTRY).decode()
    for family in text_string_to_metric_families(text):
        value = sum(
            s.value for s in family.samples if s.name in {family.name, family.name + "_total"}
        )
        totals[family.name] = value
    return totals


def _plain(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _snapshot_view(note: str, *, warning: bool = False) -> View:
    totals = snapshot_totals()
    cards = [
        Card(
            label=headline.label,
            metric=headline.metric.name,
            shown=_plain(totals.get(headline.family)),
            caption="now" if headline.metric.kind is Kind.GAUGE else "since this process started",
        )
        for headline in HEADLINES
    ]
    return View(cards=cards, note=note, warning=warning)


SNAPSHOT_NOTE = (
    "A live snapshot of this process's /metrics. No metrics backend is configured "
    "(HEADWIND_METRICS_BACKEND_URL), so there are no charts over time."
)


@dataclass
class MetricsSource:
    """The configured backend (if any), what its last probe said, and when."""

    connection: timeseries.Connection | None
    timeout: float = 5.0
    probe: timeseries.Probe | None = None
    probed_at: float = -math.inf
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def check(self) -> timeseries.Probe | None:
        """Probe the backend now and log what was found."""
        if self.connection is None:
            return None
        async with self._lock:
            probe = await self.connection.probe()
            self.probe, self.probed_at = probe, time.monotonic()
        if probe.ok:
            version = f" {probe.detail}" if probe.detail else ""
            log.info("metrics backend: %s%s at %s", probe.name, version, probe.url)
        else:
            log.warning(
                "metrics backend at %s cannot be used (%s); the observability page shows a "
                "live snapshot of /metrics until it answers",
                probe.url,
                probe.detail,
            )
        return probe

    async def view(self, window: timedelta) -> View:
        """The headlines over `window` from the backend, or the snapshot with a note."""
        if self.connection is None:
            return _snapshot_view(SNAPSHOT_NOTE)
        probe = self.probe
        if probe is None or (not probe.ok and time.monotonic() - self.probed_at >= REPROBE_SECONDS):
            probe = await self.check()
        assert probe is not None
        if not probe.ok:
            return _snapshot_view(
                f"{probe.name} at {probe.url} cannot be used ({probe.detail}): showing a "
                "live snapshot of this process's /metrics instead.",
                warning=True,
            )
        span = Span.ending_now(window)
        try:
            # A task group, so that the first failure cancels the other reads.
            async with asyncio.timeout(self.timeout), asyncio.TaskGroup() as group:
                reads = [
                    group.create_task(self.connection.read(headline.metric, span))
                    for headline in HEADLINES
                ]
        except TimeoutError:
            why = f"no answer within {self.timeout:g}s"
        except ExceptionGroup as failures:
            refused, other = failures.split(timeseries.BackendError)
            if other is not None:
                # A fault of ours, not the backend's: logged in full, and still not a broken page.
                log.error("reading the metrics backend failed", exc_info=other)
            why = (
                str(refused.exceptions[0]) if refused is not None else "an unexpected error, logged"
            )
        else:
            return _backend_view(probe, span, [read.result() for read in reads])
        return _snapshot_view(
            f"{probe.name} at {probe.url} did not answer ({why}): showing a live snapshot "
            "of this process's /metrics instead.",
            warning=True,
        )

    async def aclose(self) -> None:
        if self.connection is not None:
            await self.connection.aclose()


def _backend_view(probe: timeseries.Probe, span: Span, readings: list[timeseries.Reading]) -> View:
    window, step = durations.to_text(span.length), durations.to_text(span.step)
    holds_any = any(reading.points for reading in readings)
    cards = []
    for headline, reading in zip(HEADLINES, readings, strict=True):
        counter = headline.metric.kind is Kind.COUNTER
        value = reading.value
        if value is None and counter and holds_any:
            value = 0.0  # no series of a counter that has never counted: nothing happened
        per = f" per {step}" if counter else ""
        cards.append(
            Card(
                label=headline.label,
                metric=headline.metric.name,
                shown="—" if value is None else f"{round(value):,}",
                caption=f"in the last {window}" if counter else "latest",
                chart=charts.line_chart(
                    reading.points,
                    span.start,
                    span.end,
                    what=f"{headline.unit}{per} over the last {window}",
                ),
            )
        )
    version = f" {probe.detail}" if probe.detail else ""
    note = f"From {probe.name}{version} at {probe.url}: the last {window}, charted per {step}."
    if not holds_any:
        note = (
            f"{probe.name} at {probe.url} holds no Headwind metrics from the last {window}: "
            "is it scraping (or receiving) this process's /metrics?"
        )
    assert probe.backend is not None
    return View(
        cards=cards,
        note=note,
        backend=probe.backend.value,
        warning=not holds_any,
        window=window,
    )


async def start(settings: Settings) -> MetricsSource:
    """The app's source, its backend probed once (when one is configured)."""
    source = MetricsSource(
        timeseries.connect(settings), timeout=settings.metrics_backend_timeout.total_seconds()
    )
    await source.check()
    return source
