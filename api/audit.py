"""The audit log: one JSON line for every approve, reject, rollback and proposal.

Every attempt is recorded, allowed or refused, on the dedicated `headwind.audit` logger, so a
deployment can ship these lines somewhere else than the operational log. A record says who
(user, groups, auth mode), what (action, workload, container, tag), how it ended (result,
reason) and which request it was (`request_id`, from `X-Request-ID` or made up).
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError

from api.auth import ReviewerDep, User, current_user
from api.auth import acting_as as acting_as_user
from api.deps import ServicesDep
from clients.temporal import operations
from headwind.models import WorkloadRef

__all__ = [
    "Attempt",
    "acting_as",
    "audited",
    "auditing",
    "record",
    "record_external",
    "request_id",
]

_log = logging.getLogger("headwind.audit")


def request_id(request: Request) -> str:
    """The caller's `X-Request-ID` when it is a sensible one, else a fresh one."""
    given = request.headers.get("x-request-id", "")
    if 0 < len(given) <= 128 and given.isascii() and given.isprintable():
        return given
    return uuid.uuid4().hex


@dataclass
class Attempt:
    """What one request tries to do; filled in as the route learns more."""

    action: str
    user: User
    request_id: str
    workload: WorkloadRef | None = None
    container: str | None = None
    tag: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def record(attempt: Attempt, result: str, reason: str | None = None) -> None:
    """Write the attempt's audit line with how it ended."""
    workload = attempt.workload
    _log.info(
        json.dumps(
            {
                "time": datetime.now(UTC).isoformat(),
                "user": attempt.user.name,
                "groups": list(attempt.user.groups),
                "auth_mode": attempt.user.mode.value,
                "action": attempt.action,
                "kind": workload.kind.value if workload else None,
                "namespace": workload.namespace if workload else None,
                "name": workload.name if workload else None,
                "container": attempt.container,
                "tag": attempt.tag,
                "result": result,
                "reason": reason,
                "request_id": attempt.request_id,
                **attempt.extra,
            },
            default=str,
        )
    )


_RESULTS = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    422: "invalid",
    503: "unavailable",
    504: "timed-out",
}


@contextmanager
def audited(attempt: Attempt) -> Iterator[Attempt]:
    """Record the attempt if the block refuses or fails it; the block records success."""
    try:
        yield attempt
    except HTTPException as exc:
        record(attempt, _RESULTS.get(exc.status_code, "refused"), str(exc.detail))
        raise
    except RequestValidationError as exc:
        record(attempt, "invalid", "; ".join(str(e.get("msg", "")) for e in exc.errors()))
        raise
    except operations.DeadlineExceededError as exc:
        record(attempt, "recorded" if exc.recorded else "timed-out", str(exc))
        raise
    except Exception as exc:
        record(attempt, "failed", str(exc) or type(exc).__name__)
        raise


def auditing(action: str) -> Callable[..., Awaitable[Attempt]]:
    """A dependency that authenticates the caller of `action`, auditing a refusal (401)."""

    async def attempt(request: Request, services: ServicesDep, reviewer: ReviewerDep) -> Attempt:
        rid = request_id(request)
        try:
            user = await current_user(request, services, reviewer)
        except HTTPException as exc:
            unknown = User("(unauthenticated)", (), services.settings.ui_auth_mode)
            record(
                Attempt(action, unknown, rid),
                _RESULTS.get(exc.status_code, "refused"),
                str(exc.detail),
            )
            raise
        made = Attempt(action, user, rid)
        # For the 422 handler (`api.errors`): a body FastAPI refuses before the route runs is
        # still audited, as this attempt.
        request.state.refused_input = functools.partial(record, made, "invalid")
        return made

    return attempt


def acting_as(attempt: Attempt, named: str | None, loc: tuple[str, ...]) -> str:
    """`api.auth.acting_as`, keeping a `none`-mode label in the audit record."""
    name = acting_as_user(attempt.user, named, loc)
    if attempt.user.anonymous and named is not None:
        attempt.extra["label"] = named
    return name


def record_external(action: str, *, actor: str, target: str, outcome: str, **extra: object) -> None:
    """An attempt that came through another door than the REST API (a Slack button, a signed
    approval link): the identity is the one that channel established (`slack:<user id>`, the
    name typed on the link's page), and `via` says which channel it was."""
    attempt = Attempt(
        action=action,
        user=User(name=actor),
        request_id=uuid.uuid4().hex,
        extra={"target": target, **extra},
    )
    record(attempt, outcome)
