"""One open watch response, read as JSON lines, that another thread can cut short.

The apiserver answers `?watch=1` with chunked JSON, one event per line, for as long as the
watch lasts (up to `timeoutSeconds`). Reading blocks; `abort` shuts the socket down so that a
detector stopping at shutdown does not wait for the next event or the server's timeout.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import urllib3

__all__ = ["Stream"]


class Stream:
    """The events of one watch request, as dicts, until the server ends it or `abort`."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def __iter__(self) -> Iterator[dict[str, Any]]:
        buffer = bytearray()
        for chunk in self._response.stream(amt=None, decode_content=False):
            buffer.extend(chunk)
            while (end := buffer.find(b"\n")) != -1:
                line, buffer[:] = bytes(buffer[:end]), buffer[end + 1 :]
                if line.strip():
                    yield _event(line)
        if buffer.strip():
            yield _event(bytes(buffer))

    def abort(self) -> None:
        """Unblock a reader in another thread (it sees the stream end or a read error)."""
        with contextlib.suppress(Exception):  # already closed or released: nothing to unblock
            self._response.shutdown()

    def close(self) -> None:
        self._response.close()
        self._response.release_conn()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _event(line: bytes) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except ValueError:
        # A torn line (the connection died mid-event) is not an event; the watch resumes from
        # the last resourceVersion it saw, so nothing is lost by skipping it.
        return {"type": "ERROR", "object": {"code": 0, "message": "unreadable watch event"}}
    return event if isinstance(event, dict) else {"type": "ERROR", "object": {"code": 0}}
