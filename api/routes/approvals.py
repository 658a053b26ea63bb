"""`/approvals/{token}`: signed approval links (from Teams, webhooks, or Slack in a browser).

Opening a link (GET) only shows the request and a confirmation form; nothing changes until
the form is posted, because mail scanners and chat unfurlers open links on their own. A link
that was altered, has expired, or whose request is no longer pending gets a page that says
so and changes nothing. The approver is the name typed on the page (the UI has no login yet).
Pages are never cached, framed or given as a referrer: the token in the URL is the credential.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from api import audit
from api.bodies import read_bounded
from api.deps import ServicesDep, UpdatesDep
from clients.temporal import operations
from headwind import validation
from headwind.models import ApprovalIn, Phase, RejectIn, UpdateStatus
from headwind.notifications import content, links

__all__ = ["MAX_FORM_BYTES", "router"]

router = APIRouter(tags=["approvals"], include_in_schema=False)

MAX_FORM_BYTES = 8 * 1024

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
    "th{text-align:left;padding-right:1rem}button{font-size:1rem;padding:.4rem 1rem}"
)


def _page(title: str, body: str, code: int = status.HTTP_200_OK) -> HTMLResponse:
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width">'
        f"<title>{html.escape(title)} · Headwind</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=code, headers=_HEADERS)


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _facts(update: UpdateStatus) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
        for label, value in content.facts(update)
    )
    return f"<table>{rows}</table>"


def _claim(token: str, services: ServicesDep) -> links.Claim | HTMLResponse:
    secret = services.settings.approval_link_secret
    if secret is None:
        return _page(
            "Approval links are off",
            _p("This Headwind does not accept approval links."),
            status.HTTP_404_NOT_FOUND,
        )
    try:
        return links.verify(secret.get_secret_value().encode(), token, now=datetime.now(UTC))
    except links.ExpiredLinkError:
        return _page(
            "This link has expired",
            _p("Nothing was changed. Ask for a new link, or decide in Headwind itself."),
            status.HTTP_410_GONE,
        )
    except links.LinkError:
        return _page(
            "This link is not valid",
            _p("It was altered or not issued by this Headwind. Nothing was changed."),
            status.HTTP_400_BAD_REQUEST,
        )


def _decided(update: UpdateStatus) -> HTMLResponse:
    who = content.decided_by(update)
    said = f"It is {update.phase.value}" + (f", {who}" if who else "") + "."
    return _page(
        "Already decided",
        _p("This update request is no longer waiting for a decision. Nothing was changed.")
        + _p(said)
        + _facts(update),
        status.HTTP_409_CONFLICT,
    )


def _form(claim: links.Claim, update: UpdateStatus) -> str:
    verb = "Approve" if claim.action is links.LinkAction.APPROVE else "Reject"
    reason = (
        "<p><label>Reason (optional)<br><textarea name=reason rows=3 cols=50></textarea>"
        "</label></p>"
        if claim.action is links.LinkAction.REJECT
        else ""
    )
    return (
        _facts(update)
        + "<form method=post>"
        + "<p><label>Your name<br><input name=approver required maxlength=253></label></p>"
        + reason
        + f"<p><button type=submit>{verb}</button></p></form>"
    )


@router.get("/approvals/{token}", response_class=HTMLResponse)
async def confirm(token: str, services: ServicesDep, updates: UpdatesDep) -> HTMLResponse:
    """Show what a signed link would decide, with a form to confirm it."""
    claim = _claim(token, services)
    if isinstance(claim, HTMLResponse):
        return claim
    try:
        update = await updates.status(claim.namespace, claim.name)
    except operations.NotFoundError:
        return _page("Unknown request", _p("This update request no longer exists."), 404)
    if update.workflow_id != claim.workflow_id or update.phase is not Phase.PENDING:
        return _decided(update)
    verb = "Approve" if claim.action is links.LinkAction.APPROVE else "Reject"
    return _page(f"{verb} this update?", _form(claim, update))


@router.post("/approvals/{token}", response_class=HTMLResponse)
async def act(
    token: str, request: Request, services: ServicesDep, updates: UpdatesDep
) -> HTMLResponse:
    """Carry out the decision a signed link names, as the person who confirmed it."""
    claim = _claim(token, services)
    if isinstance(claim, HTMLResponse):
        return claim
    form = parse_qs((await read_bounded(request, MAX_FORM_BYTES)).decode(errors="replace"))
    try:
        approver = validation.actor((form.get("approver") or [""])[0].strip())
        typed_reason = (form.get("reason") or [""])[0].strip()
        reason = validation.reason(typed_reason) if typed_reason else None
    except ValueError as error:
        return _page("Check the form", _p(str(error)), status.HTTP_400_BAD_REQUEST)
    if not approver:
        return _page("Check the form", _p("Type your name."), status.HTTP_400_BAD_REQUEST)
    action = claim.action.value
    target = f"{claim.namespace}/{claim.name}"
    try:
        current = await updates.status(claim.namespace, claim.name)
        if current.workflow_id != claim.workflow_id:
            return _decided(current)
        if claim.action is links.LinkAction.APPROVE:
            result = await updates.approve(
                claim.namespace, claim.name, ApprovalIn(approver=approver)
            )
        else:
            result = await updates.reject(
                claim.namespace, claim.name, RejectIn(approver=approver, reason=reason)
            )
    except operations.NotFoundError:
        audit.record_external(
            action, actor=approver, target=target, outcome="not-found", via="link"
        )
        return _page("Unknown request", _p("This update request no longer exists."), 404)
    except operations.WrongPhaseError:
        audit.record_external(action, actor=approver, target=target, outcome="refused", via="link")
        return _decided(await updates.status(claim.namespace, claim.name))
    except operations.DeadlineExceededError as error:
        outcome = "recorded" if error.recorded else "timed-out"
        audit.record_external(action, actor=approver, target=target, outcome=outcome, via="link")
        return _page("Decision recorded", _p(str(error)), status.HTTP_202_ACCEPTED)
    audit.record_external(
        action, actor=approver, target=target, outcome=result.phase.value, via="link"
    )
    done = "Approved" if claim.action is links.LinkAction.APPROVE else "Rejected"
    return _page(
        done,
        _p(f"Thank you, {approver}. The request is now {result.phase.value}.") + _facts(result),
    )
