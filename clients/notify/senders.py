"""The configured senders of one process, opened once from the settings and closed on exit."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from clients.notify.http import TeamsClient, WebhookClient
from headwind.settings import Settings

if TYPE_CHECKING:
    from clients.notify.slack import SlackClient

__all__ = ["HTTP_TIMEOUT_SECONDS", "Senders", "open_senders", "slack_client"]

HTTP_TIMEOUT_SECONDS = 15.0
"""Per request: a receiver slower than this is retried by the activity, not waited on."""


@dataclass(frozen=True)
class Senders:
    """Each sink's client; None for a sink that is not configured."""

    slack: SlackClient | None = None
    teams: TeamsClient | None = None
    webhook: WebhookClient | None = None


def slack_client(settings: Settings) -> SlackClient | None:
    """The bot's Slack client, or None without `HEADWIND_SLACK_BOT_TOKEN`."""
    if settings.slack_bot_token is None:
        return None
    from clients.notify.slack import SlackClient  # slack_sdk is loaded only when configured

    return SlackClient(settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)


@contextlib.asynccontextmanager
async def open_senders(settings: Settings) -> AsyncIterator[Senders]:
    """The senders the settings configure, sharing one HTTP connection pool."""
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
        teams = None
        if settings.teams_webhook_url is not None:
            teams = TeamsClient(http, settings.teams_webhook_url.get_secret_value())
        hook = None
        if settings.notify_webhook_url is not None:
            secret = settings.notify_webhook_secret
            hook = WebhookClient(
                http,
                settings.notify_webhook_url,
                secret.get_secret_value().encode() if secret is not None else None,
            )
        yield Senders(slack=slack_client(settings), teams=teams, webhook=hook)
