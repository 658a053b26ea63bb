"""The observability page: headline numbers over time from a metrics backend, or live.

Where the numbers come from is `api.ui.sources`: a backend probed at start (charts over a
window of 1h, 6h or 24h), else a snapshot of this process's `/metrics`. Every `headwind_*`
family of this process is listed below the headlines either way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import ReviewerDep
from api.deps import ServicesDep
from api.ui import charts, rendering, sources

router = APIRouter(include_in_schema=False)

WINDOWS = {"1h": timedelta(hours=1), "6h": timedelta(hours=6), "24h": timedelta(hours=24)}
"""The time windows the page offers, by the name in its `window` query parameter."""

Window = Literal["1h", "6h", "24h"]


def _source(request: Request) -> sources.MetricsSource:
    # The lifespan sets it; an app built without one (tests of other pages) has no backend.
    source = getattr(request.app.state, "metrics_source", None)
    return source if source is not None else sources.MetricsSource(None)


@router.get("/observability", response_class=HTMLResponse)
@rendering.guarded
async def observability_page(
    request: Request,
    services: ServicesDep,
    reviewer: ReviewerDep,
    window: Annotated[Window, Query()] = "1h",
) -> Response:
    """Headline numbers over time from the metrics backend, or live from `/metrics`."""
    user = await rendering.current_user(request, services, reviewer)
    view = await _source(request).view(WINDOWS[window])
    totals = sources.snapshot_totals()
    families = sorted((k, v) for k, v in totals.items() if k.startswith("headwind_"))
    template = "metrics_cards.html" if request.headers.get("hx-request") else "observability.html"
    return rendering.page(
        request,
        template,
        user,
        title="Observability",
        view=view,
        window=window,
        windows=list(WINDOWS),
        families=families,
        chart_width=charts.WIDTH,
        chart_height=charts.HEIGHT,
        refresh_seconds=30 if view.backend else 10,
    )
