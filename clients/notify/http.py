"""Teams and the generic webhook: one JSON POST each, over the process's httpx client.

Teams takes the Adaptive Card message at its incoming-webhook (or Workflows) URL. The generic
webhook body is signed as `headwind.notifications.webhook` describes, with the event id as an
idempotency header so a receiver can drop the repeat of a retried delivery.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from clients.notify.errors import SinkError
from headwind.notifications import webhook

__all__ = ["TeamsClient", "WebhookClient"]


def _check(sink: str, response: httpx.Response) -> None:
    if response.is_success:
        return
    retryable = response.status_code == 429 or response.status_code >= 500
    raise SinkError(sink, f"HTTP {response.status_code}", retryable=retryable)


async def _post(
    sink: str, http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> None:
    try:
        response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise SinkError(sink, f"{type(error).__name__}: {error}", retryable=True) from error
    _check(sink, response)


class TeamsClient:
    """Posts Adaptive Card messages to one Teams webhook URL (the URL is the credential)."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http = http
        self._url = url

    async def post(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, separators=(",", ":")).encode()
        await _post("teams", self._http, self._url, body, {"Content-Type": "application/json"})


class WebhookClient:
    """Delivers signed JSON notifications to one URL."""

    def __init__(self, http: httpx.AsyncClient, url: str, secret: bytes | None) -> None:
        self._http = http
        self._url = url
        self._secret = secret

    async def send(
        self, payload: dict[str, Any], *, event_id: str, now: float | None = None
    ) -> None:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = str(int(time.time() if now is None else now))
        headers = {
            "Content-Type": "application/json",
            webhook.TIMESTAMP_HEADER: timestamp,
            webhook.EVENT_ID_HEADER: event_id,
        }
        if self._secret is not None:
            headers[webhook.SIGNATURE_HEADER] = webhook.sign(self._secret, timestamp, body)
        await _post("webhook", self._http, self._url, body, headers)
