"""`/approvals/{token}`: signed approval links (from Teams, webhooks, or Slack in a browser).

Opening a link (GET) only shows the request and a confirmation form; nothing changes until
the form is posted, because mail scanners and chat unfurlers open links on their own. A link
that was altered, has expired, or whose request is no longer pending gets a page that says
so and changes nothing. The approver is the authenticated user when `HEADWIND_UI_AUTH_MODE`
is on (in `token` mode also allowed by RBAC to patch the workload, as for the REST API), and
only in `none` mode the name typed on the page. Pages are never cached, framed or given as a
referrer: the token in the URL is the credential.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from api import audit, auth
from api.bodies import read_bounded
from api.deps import ServicesDep, UpdatesDep
from clients.temporal import operations
from headwind import validation
from headwind.models import ApprovalIn, Phase, RejectIn, UpdateStatus
from headwind.notifications import content, links
from headwind.settings import AuthMode

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


async def _user(
    request: Request, services: ServicesDep, reviewer: auth.Reviewer
) -> auth.User | HTMLResponse:
    """Who opens the link, as the auth mode says; a page saying what is missing otherwise."""
    try:
        return await auth.current_user(request, services, reviewer)
    except HTTPException as error:
        if error.status_code != status.HTTP_401_UNAUTHORIZED:
            return _page(
                "Headwind cannot tell who you are", _p(str(error.detail)), error.status_code
            )
        if services.settings.ui_auth_mode is AuthMode.TOKEN:
            here = html.escape(quote(request.url.path, safe="/"), quote=True)
            signin = html.escape("/signin?" + urlencode({"next": request.url.path}), quote=True)
            return _page(
                "Sign in first",
                _p("Deciding needs to know who you are. Nothing was changed.")
                + f'<p><a href="{signin}">Sign in to Headwind</a>, or '
                + f'<a href="{here}">open this link again</a> if you already have.</p>',
                status.HTTP_401_UNAUTHORIZED,
            )
        return _page(
            "Who are you?",
            _p(str(error.detail)) + _p("Nothing was changed."),
            status.HTTP_401_UNAUTHORIZED,
        )


async def _refused(
    reviewer: auth.Reviewer, user: auth.User, update: UpdateStatus
) -> HTMLResponse | None:
    """A page when RBAC does not let `user` patch the workload (`token` mode), else None."""
    try:
        allowed, why = await auth.may(reviewer, user, "patch", update.workload)
    except HTTPException as error:
        return _page("Headwind cannot check your permissions", _p(str(error.detail)), 503)
    if allowed:
        return None
    because = f" ({why})" if why else ""
    return _page(
        "Not allowed",
        _p(f"{user.name} may not {auth.permission('patch', update.workload)}{because}.")
        + _p("Nothing was changed."),
        status.HTTP_403_FORBIDDEN,
    )


def _form(claim: links.Claim, update: UpdateStatus, user: auth.User) -> str:
    verb = "Approve" if claim.action is links.LinkAction.APPROVE else "Reject"
    who = (
        "<p><label>Your name<br><input name=approver required maxlength=253></label></p>"
        if user.mode is AuthMode.NONE
        else _p(f"You decide as {user.name}.")
    )
    reason = (
        "<p><label>Reason (optional)<br><textarea name=reason rows=3 cols=50></textarea>"
        "</label></p>"
        if claim.action is links.LinkAction.REJECT
        else ""
    )
    return (
        _facts(update)
        + "<form method=post>"
        + who
        + reason
        + f"<p><button type=submit>{verb}</button></p></form>"
    )


@router.get("/approvals/{token}", response_class=HTMLResponse)
async def confirm(
    token: str,
    request: Request,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: auth.ReviewerDep,
) -> HTMLResponse:
    """Show what a signed link would decide, with a form to confirm it."""
    claim = _claim(token, services)
    if isinstance(claim, HTMLResponse):
        return claim
    user = await _user(request, services, reviewer)
    if isinstance(user, HTMLResponse):
        return user
    try:
        update = await updates.status(claim.namespace, claim.name)
    except operations.NotFoundError:
        return _page("Unknown request", _p("This update request no longer exists."), 404)
    if update.workflow_id != claim.workflow_id or update.phase is not Phase.PENDING:
        return _decided(update)
    refused = await _refused(reviewer, user, update)
    if refused is not None:
        return refused
    verb = "Approve" if claim.action is links.LinkAction.APPROVE else "Reject"
    return _page(f"{verb} this update?", _form(claim, update, user))


def _approver(form: dict[str, list[str]], user: auth.User) -> str:
    """Who decides: the authenticated user, or in `none` mode the name typed on the page."""
    typed = (form.get("approver") or [""])[0].strip()
    if user.mode is not AuthMode.NONE:
        if typed:
            raise ValueError(
                f"identity comes from authentication (HEADWIND_UI_AUTH_MODE={user.mode.value}), "
                "not from the form"
            )
        return user.name
    approver = validation.actor(typed)
    if not approver:
        raise ValueError("Type your name.")
    return approver


@router.post("/approvals/{token}", response_class=HTMLResponse)
async def act(
    token: str,
    request: Request,
    services: ServicesDep,
    updates: UpdatesDep,
    reviewer: auth.ReviewerDep,
) -> HTMLResponse:
    """Carry out the decision a signed link names, as the person who confirmed it."""
    claim = _claim(token, services)
    if isinstance(claim, HTMLResponse):
        return claim
    user = await _user(request, services, reviewer)
    if isinstance(user, HTMLResponse):
        audit.record_external(
            claim.action.value,
            actor="unauthenticated",
            target=f"{claim.namespace}/{claim.name}",
            outcome="unauthenticated",
            via="link",
        )
        return user
    form = parse_qs((await read_bounded(request, MAX_FORM_BYTES)).decode(errors="replace"))
    try:
        approver = _approver(form, user)
        typed_reason = (form.get("reason") or [""])[0].strip()
        reason = validation.reason(typed_reason) if typed_reason else None
    except ValueError as error:
        return _page("Check the form", _p(str(error)), status.HTTP_400_BAD_REQUEST)
    action = claim.action.value
    target = f"{claim.namespace}/{claim.name}"
    try:
        current = await updates.status(claim.namespace, claim.name)
        if current.workflow_id != claim.workflow_id:
            return _decided(current)
        refused = await _refused(reviewer, user, current)
        if refused is not None:
            audit.record_external(
                action, actor=approver, target=target, outcome="forbidden", via="link"
            )
            return refused
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
