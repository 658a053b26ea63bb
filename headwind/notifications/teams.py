"""Microsoft Teams messages: one Adaptive Card per transition.

Posted to an incoming webhook or a Workflows ("When a Teams webhook request is received") URL,
both of which take a `message` whose attachment is the card. Teams cannot call Headwind back
from a webhook card, so a pending request offers the signed approval links as buttons
(`Action.OpenUrl`): the click opens Headwind's confirmation page.
"""

from __future__ import annotations

from typing import Any

from headwind.models import Notification, NotificationEvent
from headwind.notifications import content

__all__ = ["CARD_VERSION", "message"]

CARD_VERSION = "1.4"
"""The newest Adaptive Card schema every Teams client renders."""

_ATTENTION = frozenset(
    {
        NotificationEvent.FAILED,
        NotificationEvent.ROLLBACK_TRIGGERED,
        NotificationEvent.ROLLBACK_FAILED,
        NotificationEvent.REJECTED,
        NotificationEvent.EXPIRED,
    }
)


def _actions(notification: Notification, links: content.Links) -> list[dict[str, Any]]:
    decide = content.offers_decision(notification)
    candidates = [
        ("Approve", links.approve if decide else None, "positive"),
        ("Reject", links.reject if decide else None, "destructive"),
        ("Details", links.details, "default"),
        ("Open in Temporal", links.temporal, "default"),
    ]
    return [
        {"type": "Action.OpenUrl", "title": title, "url": url, "style": style}
        for title, url, style in candidates
        if url
    ]


def message(notification: Notification, links: content.Links) -> dict[str, Any]:
    """The webhook body: a `message` with the Adaptive Card as its one attachment."""
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": [
            {
                "type": "TextBlock",
                "text": content.headline(notification),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": "Attention" if notification.event in _ATTENTION else "Default",
            },
            {
                "type": "FactSet",
                "facts": [
                    {"title": label, "value": value}
                    for label, value in content.facts(notification.status)
                ],
            },
        ],
    }
    actions = _actions(notification, links)
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
