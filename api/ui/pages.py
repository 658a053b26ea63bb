"""The web UI's pages and the htmx fragments they refresh or post to, as one router.

Pages are rendered on the server from the same dependencies the REST API uses, and every
action (approve, reject, roll back) calls the REST route's own function, so the UI cannot
skip a check the API makes: the caller is authenticated by `api.auth`, authorized by RBAC in
`token` mode, and audited. Actions are posted by htmx with its `HX-Request` header; a
cross-site form cannot set that header, so a browser tricked into posting is refused.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.ui import observability, signin, updates, workloads
from api.ui.rendering import STATIC

__all__ = ["STATIC", "router"]

router = APIRouter(include_in_schema=False)
for _section in (updates, workloads, observability, signin):
    router.include_router(_section.router)
