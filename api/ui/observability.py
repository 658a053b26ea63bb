"""The observability page: headline numbers and every metric family of this process."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from prometheus_client import REGISTRY
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.auth import ReviewerDep
from api.deps import ServicesDep
from api.ui import rendering

router = APIRouter(include_in_schema=False)

HEADLINES = (
    ("Updates applied", "headwind_updates_applied"),
    ("Pending approval", "headwind_updates_pending"),
    ("Rolled back", "headwind_rollbacks"),
    ("Webhook events", "headwind_webhook_events"),
    ("Polling errors", "headwind_polling_errors"),
    ("Failed updates", "headwind_updates_failed"),
)
"""(label, metric family) shown at the top of the observability page."""


def metric_totals() -> dict[str, float]:
    """Every family of this process's `/metrics`, its samples summed (`_total` dropped)."""
    totals: dict[str, float] = {}
    text = generate_latest(REGISTRY).decode()
    for family in text_string_to_metric_families(text):
        value = sum(
            s.value for s in family.samples if s.name in {family.name, family.name + "_total"}
        )
        totals[family.name] = value
    return totals


@router.get("/observability", response_class=HTMLResponse)
@rendering.guarded
async def observability_page(
    request: Request, services: ServicesDep, reviewer: ReviewerDep
) -> Response:
    """Headline numbers from a live snapshot of this process's `/metrics`."""
    user = await rendering.current_user(request, services, reviewer)
    totals = metric_totals()
    headlines = [(label, totals.get(name)) for label, name in HEADLINES]
    families = sorted((k, v) for k, v in totals.items() if k.startswith("headwind_"))
    template = "metrics_cards.html" if request.headers.get("hx-request") else "observability.html"
    return rendering.page(
        request, template, user, title="Observability", headlines=headlines, families=families
    )
