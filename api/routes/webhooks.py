"""`POST /webhook/{source}`: registry notifications in, update proposals out.

Each request is bounded (`HEADWIND_WEBHOOK_MAX_BODY_BYTES`, checked on `Content-Length` and
again while reading), authenticated by the source's rule (`headwind.webhooks.auth`), decoded,
parsed by the source's parser, matched against the in-memory image index (never a cluster
listing) and judged by `headwind.detection`. Approved candidates are handed to Temporal with
`operations.propose`, the entry point every detector shares, so a push seen by webhook and by
polling, or delivered twice, is one workflow. The answer is immediate: 202 with what was
matched and proposed; the update itself happens in the workflow.

Errors change nothing and say why: 401 (unauthenticated or forged), 404 (unknown source),
413 (too large), 400 (not JSON, or nested too deeply to read), 422 (JSON, but not the sender's
documented payload), 503 with `Retry-After` (the image index has not synced since start, so a
push would match nothing; or Temporal did not take the proposals; the sender's retry is safe
because proposals coalesce). A GitHub delivery accepted once is answered 200 "duplicate" when
it comes again (`X-GitHub-Delivery`), and proposes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from api import bodies, errors, limits, metrics
from api.deps import ServicesDep
from clients.temporal import operations
from headwind import detection, webhooks
from headwind.index import ImageIndex
from headwind.models import Proposal
from headwind.settings import Settings
from headwind.webhooks import auth

__all__ = [
    "Proposer",
    "ProposerDep",
    "WebhookAccepted",
    "WebhookDuplicate",
    "WebhookMatch",
    "get_proposer",
    "log_auth_posture",
    "router",
]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhook", tags=["webhooks"])

Proposer = Callable[[Proposal], Awaitable[operations.ProposalAccepted]]
"""Starts (or joins) the update workflow of one proposal."""


async def get_proposer(services: ServicesDep) -> Proposer:
    """`operations.propose` on the app's Temporal client; tests override this dependency."""

    async def propose(proposal: Proposal) -> operations.ProposalAccepted:
        return await operations.propose(
            services.temporal,
            proposal,
            task_queue=services.settings.temporal_task_queue,
            deadlines=services.deadlines,
        )

    return propose


ProposerDep = Annotated[Proposer, Depends(get_proposer)]


class WebhookMatch(BaseModel):
    """One workload container that runs a pushed repository, and what became of the push."""

    model_config = ConfigDict(frozen=True)

    image: str
    """The pushed image, normalised (`registry/repository:tag@digest`)."""
    workload: str
    """`Kind/namespace/name`."""
    container: str
    proposed: bool
    reason: str
    """`proposed`, or why not (`event-source is polling`, `not newer`, `pushed by digest`…)."""
    request_name: str | None = None
    """The UpdateRequest of the proposal (`/api/v1/updates/{namespace}/{request_name}`)."""


class WebhookAccepted(BaseModel):
    """What one delivery was understood as and what it started."""

    model_config = ConfigDict(frozen=True)

    source: str
    images: int
    """Pushed images in the payload (0 for events that are not pushes: pings, pulls, deletes)."""
    matched: int
    """Workload containers in the index that run one of the pushed repositories."""
    proposed: int
    """Candidates handed to the update workflow."""
    pushed: list[str]
    results: list[WebhookMatch]


class WebhookDuplicate(BaseModel):
    """A delivery already accepted, sent again: nothing is proposed twice."""

    model_config = ConfigDict(frozen=True)

    source: str
    delivery: str
    duplicate: bool = True
    detail: str


class _HandOverError(Exception):
    """Temporal did not take every proposal."""


@router.post(
    "/{source}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookAccepted,
    responses={
        status.HTTP_200_OK: {
            "model": WebhookDuplicate,
            "description": "A delivery accepted before, sent again: nothing proposed.",
        },
        **errors.responses(400, 401, 404, 413, 422, 503),
    },
)
async def receive(
    source: str, request: Request, services: ServicesDep, propose: ProposerDep
) -> WebhookAccepted | Response:
    """Receive a registry's push notification (see docs/webhooks.md for every source)."""
    known = _known(source)
    settings = services.settings
    body = await _bounded_body(known, request, settings.webhook_max_body_bytes)
    _authenticate(known, request, body, settings)
    delivery = _delivery(known, request)
    if delivery is not None and services.deliveries.seen(delivery):
        _count(known, "duplicate")
        log.info("webhook %s: delivery %s again, already accepted", known.value, delivery)
        duplicate = WebhookDuplicate(
            source=known.value,
            delivery=delivery,
            detail="this delivery was accepted before; nothing was proposed again",
        )
        return JSONResponse(duplicate.model_dump(mode="json"), status_code=status.HTTP_200_OK)
    pushed = _parse(known, request, body, settings)
    if pushed and not services.index.synced:
        raise _refusal(
            known,
            "not_ready",
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the image index has not synced since start; retry shortly",
            retry=True,
        )
    try:
        accepted = await _hand_over(known, pushed, services.index, propose)
    except _HandOverError as error:
        raise _refusal(
            known, "error", status.HTTP_503_SERVICE_UNAVAILABLE, str(error), retry=True
        ) from None
    if delivery is not None:
        services.deliveries.remember(delivery)
    _count(known, "accepted")
    metrics.WEBHOOK_IMAGES_PROCESSED.labels(source=known.value).inc(len(pushed))
    log.info(
        "webhook %s: %d image(s), %d container(s) matched, %d proposed",
        known.value,
        accepted.images,
        accepted.matched,
        accepted.proposed,
    )
    return accepted


_DELIVERY_MAX_LENGTH = 128


def _delivery(source: webhooks.Source, request: Request) -> str | None:
    """GitHub's id of this delivery, kept when GitHub (or anyone) sends it again."""
    if source is not webhooks.Source.GHCR:
        return None
    delivery = request.headers.get("x-github-delivery", "").strip()
    return delivery[:_DELIVERY_MAX_LENGTH] or None


def _known(source: str) -> webhooks.Source:
    known = webhooks.lookup(source)
    if known is None:
        names = ", ".join(s.value for s in webhooks.Source)
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown webhook source {source!r}; known: {names}"
        )
    return known


async def _bounded_body(source: webhooks.Source, request: Request, limit: int) -> bytes:
    try:
        return await bodies.read_bounded(request, limit)
    except HTTPException:
        raise _too_large(source, limit) from None


def _too_large(source: webhooks.Source, limit: int) -> HTTPException:
    message = f"webhook body is larger than {limit} bytes (HEADWIND_WEBHOOK_MAX_BODY_BYTES)"
    return _refusal(source, "too_large", status.HTTP_413_CONTENT_TOO_LARGE, message)


def _authenticate(
    source: webhooks.Source, request: Request, body: bytes, settings: Settings
) -> None:
    presented = auth.Presented(
        headers=dict(request.headers), query=dict(request.query_params), body=body
    )
    decision = auth.authenticate(source, settings, presented)
    if not decision.allowed:
        log.warning("webhook %s refused: %s", source.value, decision.reason)
        raise _refusal(source, "unauthorized", status.HTTP_401_UNAUTHORIZED, decision.reason)


def _parse(
    source: webhooks.Source, request: Request, body: bytes, settings: Settings
) -> list[webhooks.PushedImage]:
    try:
        payload = json.loads(body)
    except ValueError as error:
        message = f"webhook body is not valid JSON: {error}"
        raise _refusal(source, "invalid", status.HTTP_400_BAD_REQUEST, message) from None
    except RecursionError:
        message = "webhook body is nested too deeply to read"
        raise _refusal(source, "invalid", status.HTTP_400_BAD_REQUEST, message) from None
    context = webhooks.Context(
        event=request.headers.get("x-github-event"),
        artifactory_registry=settings.webhook_artifactory_registry,
    )
    try:
        return webhooks.parse(source, payload, context)
    except webhooks.PayloadError as error:
        message = f"not a {webhooks.SPECS[source].title} push payload: {error}"
        raise _refusal(source, "invalid", status.HTTP_422_UNPROCESSABLE_CONTENT, message) from None


def _refusal(
    source: webhooks.Source, result: str, code: int, message: str, *, retry: bool = False
) -> HTTPException:
    """The error to raise for a delivery that changes nothing, counted under `result`.

    `retry` adds `Retry-After`: the same delivery will succeed once the cause has passed.
    """
    _count(source, result)
    headers = {"Retry-After": str(limits.RETRY_AFTER_SECONDS)} if retry else None
    return HTTPException(code, message, headers=headers)


async def _hand_over(
    source: webhooks.Source,
    pushed: list[webhooks.PushedImage],
    index: ImageIndex,
    propose: Proposer,
) -> WebhookAccepted:
    results: list[WebhookMatch] = []
    proposals: dict[tuple[str, str, str], tuple[int, Proposal]] = {}
    matched: set[tuple[str, str]] = set()
    origin = f"webhook:{source.value}"
    for image in pushed:
        subscribers = index.lookup(image.repository)
        matched.update((str(s.workload), s.container) for s in subscribers)
        tag = image.pushed_tag()
        if tag is None:
            results.extend(
                WebhookMatch(
                    image=image.reference,
                    workload=str(s.workload),
                    container=s.container,
                    proposed=False,
                    reason="pushed by digest only (no tag to propose)",
                )
                for s in subscribers
            )
            continue
        for verdict in detection.match(
            tag, subscribers, path=detection.Path.WEBHOOK, source=origin
        ):
            entry = WebhookMatch(
                image=image.reference,
                workload=str(verdict.subscriber.workload),
                container=verdict.subscriber.container,
                proposed=verdict.proposal is not None,
                reason=verdict.reason,
            )
            if verdict.proposal is not None:
                p = verdict.proposal
                proposals.setdefault((str(p.workload), p.container, p.tag), (len(results), p))
            results.append(entry)

    started = await _start(list(proposals.values()), propose)
    for position, accepted in started:
        results[position] = results[position].model_copy(
            update={"request_name": accepted.request_name}
        )
    return WebhookAccepted(
        source=source.value,
        images=len(pushed),
        matched=len(matched),
        proposed=len(started),
        pushed=[image.reference for image in pushed],
        results=results,
    )


async def _start(
    proposals: list[tuple[int, Proposal]], propose: Proposer
) -> list[tuple[int, operations.ProposalAccepted]]:
    outcomes = await asyncio.gather(
        *(propose(proposal) for _, proposal in proposals), return_exceptions=True
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        log.error("webhook proposals failed", exc_info=failures[0])
        raise _HandOverError(
            f"{len(failures)} of {len(proposals)} proposal(s) could not be handed to Temporal "
            f"({failures[0]}); retrying the delivery is safe"
        )
    return [
        (position, outcome)
        for (position, _), outcome in zip(proposals, outcomes, strict=True)
        if isinstance(outcome, operations.ProposalAccepted)
    ]


def _count(source: webhooks.Source, result: str) -> None:
    metrics.WEBHOOK_EVENTS.labels(source=source.value, result=result).inc()


def log_auth_posture(settings: Settings) -> None:
    """Say at start which webhook sources are secured, open, or refusing everything."""
    groups = auth.posture(settings)
    if groups["secured"]:
        log.info("webhooks secured by a secret: %s", _names(groups["secured"]))
    if groups["open"]:
        log.warning(
            "webhooks OPEN without authentication (HEADWIND_WEBHOOK_ALLOW_UNAUTHENTICATED): %s",
            _names(groups["open"]),
        )
    if groups["refusing"]:
        log.warning(
            "webhooks refusing every request until a secret is set (HEADWIND_WEBHOOK_TOKEN "
            "or the source's own): %s",
            _names(groups["refusing"]),
        )


def _names(sources: list[webhooks.Source]) -> str:
    return ", ".join(s.value for s in sources)
