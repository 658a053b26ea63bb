"""Slack messages as Block Kit, and the button clicks Slack sends back.

A request for approval carries Approve and Reject buttons whose value names the request
(`<namespace>/<name>`); later transitions are short replies in the request's thread, and the
request message itself is re-rendered without buttons once someone decided. Clicks arrive as
`block_actions` payloads (Slack API, "Handling user interaction"); `decision` reads the one
Headwind asked for and ignores the rest (link buttons send a payload too).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from headwind.models import Notification, NotificationEvent
from headwind.notifications import content

__all__ = [
    "APPROVE_ACTION",
    "METADATA_EVENT_TYPE",
    "REJECT_ACTION",
    "Action",
    "Decision",
    "Message",
    "decision",
    "escape",
    "mentions",
    "metadata",
    "outcome",
    "reply",
    "request",
]

APPROVE_ACTION = "headwind_approve"
REJECT_ACTION = "headwind_reject"
METADATA_EVENT_TYPE = "headwind_notification"
"""Message metadata type: lets a reader of the channel history find Headwind's messages."""

_HEADER_MAX = 150  # Block Kit's limit for a header's text
_FIELDS_MAX = 10  # and for a section's fields

Block = dict[str, Any]


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Message(BaseModel):
    """What `chat.postMessage` / `chat.update` take: fallback text and the blocks."""

    model_config = ConfigDict(frozen=True)

    text: str
    blocks: tuple[Block, ...]


class Decision(BaseModel):
    """One click on Approve or Reject, as Slack reported it."""

    model_config = ConfigDict(frozen=True)

    action: Action
    namespace: str
    name: str
    user_id: str
    user_name: str
    channel: str | None = None
    message_ts: str | None = None
    response_url: str | None = None

    @property
    def identity(self) -> str:
        """The approver the workflow records: the stable Slack user ID, not a changeable name."""
        return f"slack:{self.user_id}"


def escape(text: str) -> str:
    """Slack's three control characters in mrkdwn and plain text (`&`, `<`, `>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_USER = re.compile(r"\bslack:([UW][A-Z0-9]{2,20})\b")


def mentions(text: str) -> str:
    """Escaped text where an approver recorded as `slack:<user id>` becomes a mention."""
    return _SLACK_USER.sub(r"<@\1>", escape(text))


def _link(url: str, label: str) -> str:
    return f"<{url}|{label}>"


def _link_line(links: content.Links, *, decide: bool) -> Block | None:
    parts = []
    if links.details:
        parts.append(_link(links.details, "Details"))
    if links.temporal:
        parts.append(_link(links.temporal, "Temporal"))
    if decide and links.approve:
        parts.append(_link(links.approve, "Approve in a browser"))
    if decide and links.reject:
        parts.append(_link(links.reject, "Reject in a browser"))
    if not parts:
        return None
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def _fields(notification: Notification) -> Block:
    rows = content.facts(notification.status)[:_FIELDS_MAX]
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": f"*{escape(label)}*\n{mentions(value)}"}
            for label, value in rows
        ],
    }


def _header(notification: Notification) -> Block:
    text = content.headline(notification)
    if len(text) > _HEADER_MAX:
        text = text[: _HEADER_MAX - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": False}}


def _buttons(notification: Notification) -> Block:
    status = notification.status
    value = f"{status.workload.namespace}/{status.request_name}"
    return {
        "type": "actions",
        "block_id": "headwind_decision",
        "elements": [
            {
                "type": "button",
                "action_id": APPROVE_ACTION,
                "text": {"type": "plain_text", "text": "Approve"},
                "style": "primary",
                "value": value,
            },
            {
                "type": "button",
                "action_id": REJECT_ACTION,
                "text": {"type": "plain_text", "text": "Reject"},
                "style": "danger",
                "value": value,
            },
        ],
    }


def _full(notification: Notification, links: content.Links, *, decide: bool) -> Message:
    blocks = [_header(notification), _fields(notification)]
    if decide:
        blocks.append(_buttons(notification))
    line = _link_line(links, decide=decide)
    if line is not None:
        blocks.append(line)
    return Message(text=content.headline(notification), blocks=tuple(blocks))


def request(notification: Notification, links: content.Links) -> Message:
    """The first message of an update: with buttons when it asks for a decision."""
    return _full(notification, links, decide=content.offers_decision(notification))


def outcome(notification: Notification, links: content.Links) -> Message:
    """The first message re-rendered after a later transition: its outcome, no buttons."""
    return _full(notification, links, decide=False)


def reply(notification: Notification, links: content.Links) -> Message:
    """A later transition, in the first message's thread."""
    status = notification.status
    said = status.message or status.reason
    text = f"*{escape(content.HEADLINES[notification.event])}*"
    if said:
        text += f" — {escape(said)}"
    who = content.decided_by(status)
    if who and notification.event in {NotificationEvent.APPROVED, NotificationEvent.REJECTED}:
        text += f" ({mentions(who)})"
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    line = _link_line(links, decide=False)
    if line is not None:
        blocks.append(line)
    return Message(text=content.headline(notification), blocks=tuple(blocks))


def metadata(notification: Notification) -> dict[str, Any]:
    """Message metadata: the event id, so a message can be traced to its transition."""
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {
            "event_id": content.event_id(notification),
            "workflow_id": notification.status.workflow_id,
            "event": notification.event.value,
        },
    }


_ACTIONS = {APPROVE_ACTION: Action.APPROVE, REJECT_ACTION: Action.REJECT}


def decision(payload: Mapping[str, Any]) -> Decision | None:
    """The Approve or Reject click in a `block_actions` payload; None for anything else."""
    if payload.get("type") != "block_actions":
        return None
    for action in payload.get("actions") or ():
        if not isinstance(action, Mapping):
            continue
        kind = _ACTIONS.get(str(action.get("action_id", "")))
        namespace, _, name = str(action.get("value", "")).partition("/")
        if kind is None or not namespace or not name:
            continue
        user = payload.get("user") or {}
        channel = payload.get("channel") or {}
        message = payload.get("message") or {}
        user_id = str(user.get("id", ""))
        if not user_id:
            return None
        return Decision(
            action=kind,
            namespace=namespace,
            name=name,
            user_id=user_id,
            user_name=str(user.get("name") or user.get("username") or ""),
            channel=channel.get("id"),
            message_ts=message.get("ts"),
            response_url=payload.get("response_url"),
        )
    return None
