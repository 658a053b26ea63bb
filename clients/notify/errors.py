"""The one failure every sender raises, so the activity can decide to retry or give up."""

from __future__ import annotations

__all__ = ["SinkError"]


class SinkError(Exception):
    """A sink did not take a notification.

    `retryable` is False when the same request can never succeed (bad token, unknown channel,
    a 4xx from a webhook): the activity then records the failure at once instead of retrying.
    """

    def __init__(self, sink: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{sink}: {message}")
        self.sink = sink
        self.retryable = retryable
