"""`POST /slack/interactions`: an approver's click on a Slack message's Approve or Reject button.

Slack signs every request (`X-Slack-Signature`, `X-Slack-Request-Timestamp`); anything not
signed with `HEADWIND_SLACK_SIGNING_SECRET` within the last five minutes gets 401. Slack wants
an answer within three seconds, so the handler answers 200 at once and decides afterwards
(a background task): the same Workflow Update as the REST API, as `slack:<user id>`, with the
same audit record. A request that is no longer pending, an approver not on
`HEADWIND_SLACK_APPROVERS` or an unreachable Temporal is told to the clicking user alone (an
ephemeral message through the click's `response_url`); the message itself is updated by the
workflow's next notification.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, Response, status

from api import audit, errors
from api.backends import Updates
from api.bodies import read_bounded
from api.deps import ServicesDep, UpdatesDep
from clients.notify import senders
from clients.notify import slack as slack_client
from clients.notify.errors import SinkError
from clients.temporal import operations
from headwind.models import ApprovalIn, RejectIn
from headwind.notifications import content, slack
from headwind.settings import Settings

__all__ = ["MAX_BODY_BYTES", "get_slack", "router"]

log = logging.getLogger("headwind.slack")

router = APIRouter(tags=["slack"])

MAX_BODY_BYTES = 64 * 1024
"""Interaction payloads carry the message they came from: a few KiB."""


def get_slack(request: Request, services: ServicesDep) -> slack_client.SlackClient | None:
    """The bot's Slack client, opened on first use and kept by the app."""
    client: slack_client.SlackClient | None = getattr(request.app.state, "slack_client", None)
    if client is None:
        client = senders.slack_client(services.settings)
        request.app.state.slack_client = client
    return client


SlackDep = Annotated[slack_client.SlackClient | None, Depends(get_slack)]


def _payload(body: bytes) -> dict[str, Any]:
    try:
        fields = parse_qs(body.decode(), strict_parsing=True)
        payload = json.loads(fields["payload"][0])
    except (UnicodeDecodeError, ValueError, KeyError, IndexError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "not a Slack interaction") from error
    if not isinstance(payload, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "not a Slack interaction")
    return payload


@router.post(
    "/slack/interactions",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses=errors.responses(400, 401, 404, 413),
)
async def interactions(
    request: Request,
    services: ServicesDep,
    updates: UpdatesDep,
    client: SlackDep,
    background: BackgroundTasks,
) -> Response:
    """Receive a click on an Approve or Reject button of a Headwind Slack message."""
    secret = services.settings.slack_signing_secret
    if secret is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Slack interactivity is not configured")
    body = await read_bounded(request, MAX_BODY_BYTES)
    if not slack_client.verify_signature(secret.get_secret_value(), body, request.headers):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad or stale Slack signature")
    decision = slack.decision(_payload(body))
    if decision is not None:
        background.add_task(decide, decision, services.settings, updates, client)
    return Response(status_code=status.HTTP_200_OK)


async def decide(
    decision: slack.Decision,
    settings: Settings,
    updates: Updates,
    client: slack_client.SlackClient | None,
) -> None:
    """Send one click's decision to the workflow; tell the clicking user what went wrong."""
    action = decision.action.value
    target = f"{decision.namespace}/{decision.name}"
    name = (await client.user_name(decision.user_id) if client else "") or decision.user_name
    extra = {"via": "slack", "display_name": name}
    if not await _allowed(decision.user_id, settings, client):
        audit.record_external(
            action, actor=decision.identity, target=target, outcome="forbidden", **extra
        )
        await _tell(client, decision, "You are not one of Headwind's Slack approvers.")
        return
    try:
        if decision.action is slack.Action.APPROVE:
            result = await updates.approve(
                decision.namespace, decision.name, ApprovalIn(approver=decision.identity)
            )
        else:
            result = await updates.reject(
                decision.namespace, decision.name, RejectIn(approver=decision.identity)
            )
    except operations.NotFoundError:
        audit.record_external(
            action, actor=decision.identity, target=target, outcome="not-found", **extra
        )
        await _tell(client, decision, f"Update request {target} no longer exists.")
    except operations.WrongPhaseError as error:
        audit.record_external(
            action, actor=decision.identity, target=target, outcome="refused", **extra
        )
        await _tell(client, decision, await _already_decided(updates, decision, error))
    except operations.DeadlineExceededError as error:
        outcome = "recorded" if error.recorded else "timed-out"
        audit.record_external(
            action, actor=decision.identity, target=target, outcome=outcome, **extra
        )
        await _tell(client, decision, str(error))
    except operations.TemporalUnavailableError:
        audit.record_external(
            action, actor=decision.identity, target=target, outcome="failed", **extra
        )
        await _tell(client, decision, "Headwind cannot reach Temporal right now; try again.")
    else:
        audit.record_external(
            action, actor=decision.identity, target=target, outcome=result.phase.value, **extra
        )


async def _already_decided(
    updates: Updates, decision: slack.Decision, refusal: operations.WrongPhaseError
) -> str:
    """What the clicking user reads: the request's phase now and who decided, if anyone."""
    try:
        current = await updates.status(decision.namespace, decision.name)
    except (operations.NotFoundError, operations.TemporalUnavailableError):
        return f"Nothing done: {refusal}"
    who = content.decided_by(current)
    said = f"Already decided: update request {decision.namespace}/{decision.name} is "
    said += current.phase.value + (f", {who}" if who else "")
    return slack.mentions(said) + ". Nothing done."


async def _allowed(
    user_id: str, settings: Settings, client: slack_client.SlackClient | None
) -> bool:
    approvers = settings.slack_approvers
    if not approvers or user_id in approvers:
        return True
    for group in (item for item in approvers if item.startswith("S")):
        if client is None:
            break
        try:
            if user_id in await client.group_members(group):
                return True
        except SinkError as error:
            log.warning("cannot read Slack user group %s: %s", group, error)
    return False


async def _tell(
    client: slack_client.SlackClient | None, decision: slack.Decision, text: str
) -> None:
    if client is None or not decision.response_url:
        return
    try:
        await client.respond(decision.response_url, text)
    except SinkError as error:
        log.warning("could not answer %s in Slack: %s", decision.identity, error)
