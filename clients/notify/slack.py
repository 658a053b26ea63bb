"""Slack's Web API through slack_sdk's async client, and its request signatures.

Posting, threading and updating messages (`chat.postMessage`, `chat.update`), finding a reply
an interrupted attempt already posted (`conversations.replies`), looking up who
clicked (`users.info`, `usergroups.users.list`), and answering a click privately through its
`response_url`. Rate limits (HTTP 429 with `Retry-After`) are waited out by slack_sdk's own
retry handler. `verify_signature` checks `X-Slack-Signature` with slack_sdk's verifier, which
also refuses a request timestamped more than five minutes away (a replay).

slack_sdk and aiohttp (about 50 MiB together) are imported when a client is made or a
signature checked, not with this module: a Headwind without Slack never loads them.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from clients.notify.errors import SinkError
from headwind.models import SlackThread
from headwind.notifications import slack

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["DEFAULT_API_URL", "SlackClient", "verify_signature"]

log = logging.getLogger("headwind.notifications")

DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 3
"""429s waited out per call before the activity's own retry takes over."""

_PERMANENT = frozenset(
    {
        "account_inactive",
        "cant_update_message",
        "channel_not_found",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "not_authed",
        "not_in_channel",
        "token_revoked",
        "user_not_found",
    }
)
"""Slack error codes that no retry can fix."""


def _failure(method: str, error: Exception) -> SinkError:
    from slack_sdk.errors import SlackApiError

    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", "")) if error.response is not None else ""
        status = error.response.status_code if error.response is not None else 0
        retryable = code not in _PERMANENT and (status == 429 or status >= 500 or status == 200)
        return SinkError("slack", f"{method}: {code or status}", retryable=retryable)
    return SinkError("slack", f"{method}: {error}", retryable=True)


@functools.cache
def _transport() -> tuple[type[Exception], ...]:
    """What a call to Slack raises when it did not go through."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    return (SlackApiError, aiohttp.ClientError, TimeoutError)


class SlackClient:
    """One bot token's view of Slack."""

    def __init__(self, token: str, *, base_url: str | None = None, timeout: int = 15) -> None:
        from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
        from slack_sdk.web.async_client import AsyncWebClient

        url = base_url or DEFAULT_API_URL
        self._web: AsyncWebClient = AsyncWebClient(
            token=token,
            base_url=url if url.endswith("/") else url + "/",
            timeout=timeout,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
        )
        self._timeout = timeout

    async def post(
        self,
        channel: str,
        message: slack.Message,
        *,
        metadata: dict[str, Any] | None = None,
        thread: SlackThread | None = None,
    ) -> SlackThread:
        """Post (into `thread` when given); returns where the message now is."""
        try:
            response = await self._web.chat_postMessage(
                channel=thread.channel if thread else channel,
                text=message.text,
                blocks=list(message.blocks),
                metadata=metadata,
                thread_ts=thread.ts if thread else None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except _transport() as error:
            raise _failure("chat.postMessage", error) from error
        return SlackThread(channel=str(response["channel"]), ts=str(response["ts"]))

    async def has_reply(self, thread: SlackThread, event_id: str) -> bool:
        """Whether the thread already holds the reply of `event_id` (its message metadata).

        Needs `channels:history` (`groups:history` in private channels); without it, or when
        Slack cannot answer, the answer is False and the caller posts.
        """
        try:
            response = await self._web.conversations_replies(
                channel=thread.channel, ts=thread.ts, include_all_metadata=True, limit=200
            )
        except _transport() as error:
            failure = _failure("conversations.replies", error)
            log.warning("cannot look for a reply in Slack thread %s: %s", thread.ts, failure)
            return False
        for message in response.get("messages") or ():
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("event_id") == event_id and message.get("ts") != thread.ts:
                return True
        return False

    async def update(self, thread: SlackThread, message: slack.Message) -> None:
        """Replace the text and blocks of a posted message (its buttons go with them)."""
        try:
            await self._web.chat_update(
                channel=thread.channel, ts=thread.ts, text=message.text, blocks=list(message.blocks)
            )
        except _transport() as error:
            raise _failure("chat.update", error) from error

    async def user_name(self, user_id: str) -> str:
        """A user's display name (else real name, else handle); empty when Slack won't say."""
        try:
            response = await self._web.users_info(user=user_id)
        except _transport():
            return ""
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name"), user.get("name")):
            if name:
                return str(name)
        return ""

    async def group_members(self, group_id: str) -> frozenset[str]:
        """The user IDs of a user group (needs `usergroups:read`)."""
        try:
            response = await self._web.usergroups_users_list(usergroup=group_id)
        except _transport() as error:
            raise _failure("usergroups.users.list", error) from error
        return frozenset(str(user) for user in response.get("users") or ())

    async def respond(self, response_url: str, text: str) -> None:
        """An ephemeral answer to the person who clicked (only they see it)."""
        import aiohttp
        from slack_sdk.webhook.async_client import AsyncWebhookClient

        webhook = AsyncWebhookClient(response_url, timeout=self._timeout)
        try:
            response = await webhook.send(
                text=text, response_type="ephemeral", replace_original=False
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SinkError("slack", f"response_url: {error}", retryable=True) from error
        if response.status_code >= 300:
            raise SinkError("slack", f"response_url: HTTP {response.status_code}", retryable=False)


def verify_signature(
    signing_secret: str, body: bytes, headers: Mapping[str, str], *, now: float | None = None
) -> bool:
    """Whether Slack signed this request within the last five minutes."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    from slack_sdk.signature import Clock, SignatureVerifier

    class _FixedClock(Clock):
        def now(self) -> float:
            return time.time() if now is None else now

    verifier = SignatureVerifier(signing_secret, clock=_FixedClock())
    return verifier.is_valid(body, timestamp, signature)
