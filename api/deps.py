"""Dependencies of the route handlers: the clients the lifespan opened, as `Annotated` aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from clients.kube.client import Kube
from headwind.index import ImageIndex
from headwind.settings import Settings

__all__ = ["Services", "ServicesDep"]


@dataclass
class Services:
    """What the app opened once at start and shares between requests."""

    settings: Settings
    temporal: Client
    kube: Kube | None
    index: ImageIndex
    """Repository → workload containers, kept current by the watcher of the same process."""


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]
