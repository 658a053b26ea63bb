"""The FastAPI application factory: routers, the clients it opens once, `/metrics`.

REST routes read bounded bodies (`api.bodies`; webhooks bound their own, configurably), and
every error is answered as `api.errors.ErrorOut`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from temporalio.client import Client

import headwind
from api import errors, metrics
from api.deps import Services
from api.explaining import RegistryTags
from api.routes import approvals, health, slack, updates, webhooks, workloads
from api.ui import pages, sources
from clients import temporal
from clients.credentials import PullSecrets
from clients.kube.client import Kube
from clients.registries import open_registries
from headwind.index import ImageIndex
from headwind.settings import Settings, check_api_exposure

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    temporal_client: Client | None = None,
    kube: Kube | None = None,
    index: ImageIndex | None = None,
) -> FastAPI:
    """Build the app; clients not given are opened by the lifespan from `settings`.

    Raises `SettingsError` when the auth mode would expose approvals to the network
    (`none` on a non-loopback address without `HEADWIND_UI_AUTH_ALLOW_INSECURE`).
    """
    check_api_exposure(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = temporal_client or await temporal.connect(settings)
        kube_client = kube
        if kube_client is None:
            kube_client = await asyncio.to_thread(Kube.from_settings, settings)
        # Its own pool: "why not updated?" lookups never queue behind the poller's scans.
        registries = open_registries(settings, kube_client)
        app.state.services = Services(
            settings=settings,
            temporal=client,
            kube=kube_client,
            index=index if index is not None else ImageIndex(),
            tags=RegistryTags(registries.oci, registries.helm, PullSecrets(kube_client)),
        )
        # The observability page's metrics backend, probed once here (it logs what it found).
        app.state.metrics_source = await sources.start(settings)
        refresher = asyncio.create_task(metrics.refresh_forever(client))
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            await registries.aclose()
            await app.state.metrics_source.aclose()
            if kube is None:
                kube_client.close()

    app = FastAPI(
        title="Headwind",
        version=headwind.__version__,
        description="Keeps Kubernetes workloads on the newest image their policy allows.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(updates.router)
    app.include_router(workloads.router)
    app.include_router(webhooks.router)
    app.include_router(slack.router)
    app.include_router(approvals.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC, check_dir=False), name="static")
    webhooks.log_auth_posture(settings)

    @app.get("/metrics", tags=["metrics"], response_class=Response)
    def prometheus() -> Response:
        """Prometheus text exposition of this process's metrics."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
