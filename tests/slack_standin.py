"""A stand-in for Slack's Web API (and for Teams, webhook and `response_url` receivers).

A real HTTP server on loopback, in its own thread, answering the methods Headwind calls the way
Slack's API reference documents them (`ok`, `channel` as an ID, `ts`, `message`), and
recording every call so tests can read back exactly what was posted. `rate_limit(n)` makes
the next n Web API calls answer 429 with `Retry-After: 1`, as Slack does. `hold_answer` keeps
the answer to one chosen call back (Slack has taken it; the caller waits) until `release`, so a
test can kill the caller in between.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

CHANNEL_ID = "C0HEADWIND"
USERS = {
    "U0ALICE": {"id": "U0ALICE", "name": "alice", "profile": {"display_name": "Alice"}},
    "U0BOB": {"id": "U0BOB", "name": "bob", "profile": {"display_name": ""}},
}
GROUPS = {"S0APPROVERS": ["U0ALICE"]}


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    raw: bytes


@dataclass
class StandIn:
    url: str
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Posted messages by ts, as `chat.update` left them."""
    answers: dict[str, int] = field(default_factory=dict)
    """Status code to answer on a non-Slack path (Teams, webhook), default 200."""
    failures: dict[str, int] = field(default_factory=dict)
    """How many more calls to a non-Slack path answer 503 before `answers` applies."""
    held: threading.Event = field(default_factory=threading.Event)
    """Set once the call chosen with `hold_answer` arrived (and was taken)."""
    _hold: Callable[[str, dict[str, Any]], bool] | None = None
    _released: threading.Event = field(default_factory=threading.Event)
    _limited: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def rate_limit(self, times: int) -> None:
        self._limited = times

    def hold_answer(self, chosen: Callable[[str, dict[str, Any]], bool]) -> None:
        """Take the first call `chosen(path, body)` picks, but answer it only at `release`."""
        self._hold = chosen

    def release(self) -> None:
        self._released.set()

    def pause(self, path: str, body: dict[str, Any]) -> None:
        """Called before answering: waits here if this is the held call."""
        with self._lock:
            chosen = self._hold is not None and self._hold(path, body)
            if chosen:
                self._hold = None
        if chosen:
            self.held.set()
            self._released.wait(120)

    def called(self, path: str) -> list[Call]:
        return [call for call in list(self.calls) if call.path == path]

    def posted(self) -> list[dict[str, Any]]:
        """Copies of every posted message as it is now, oldest first (safe while serving)."""
        with self._lock:
            return [json.loads(json.dumps(message)) for message in self.messages.values()]

    def handle(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            if path.startswith("/api/") and self._limited > 0:
                self._limited -= 1
                return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
            if path == "/api/chat.postMessage":
                ts = f"1700000000.{next(self._ts):06d}"
                message = {
                    "type": "message",
                    "ts": ts,
                    "text": body.get("text", ""),
                    "blocks": body.get("blocks", []),
                    "thread_ts": body.get("thread_ts"),
                    "metadata": body.get("metadata"),
                }
                self.messages[ts] = message
                return 200, {}, {"ok": True, "channel": CHANNEL_ID, "ts": ts, "message": message}
            if path == "/api/chat.update":
                updated = self.messages.get(str(body.get("ts")))
                if body.get("channel") != CHANNEL_ID or updated is None:
                    return 200, {}, {"ok": False, "error": "message_not_found"}
                updated.update(text=body.get("text", ""), blocks=body.get("blocks", []))
                return 200, {}, {"ok": True, "channel": CHANNEL_ID, "ts": body["ts"]}
            if path == "/api/conversations.replies":
                parent = str(body.get("ts"))
                if body.get("channel") != CHANNEL_ID or parent not in self.messages:
                    return 200, {}, {"ok": False, "error": "thread_not_found"}
                thread = [
                    message
                    for ts, message in self.messages.items()
                    if ts == parent or message.get("thread_ts") == parent
                ]
                return 200, {}, {"ok": True, "messages": thread, "has_more": False}
            if path == "/api/users.info":
                user = USERS.get(str(body.get("user")))
                if user is None:
                    return 200, {}, {"ok": False, "error": "user_not_found"}
                return 200, {}, {"ok": True, "user": user}
            if path == "/api/usergroups.users.list":
                users = GROUPS.get(str(body.get("usergroup")))
                if users is None:
                    return 200, {}, {"ok": False, "error": "no_such_subteam"}
                return 200, {}, {"ok": True, "users": users}
            if path.startswith("/api/"):
                return 200, {}, {"ok": False, "error": "unknown_method"}
            if self.failures.get(path, 0) > 0:
                self.failures[path] -= 1
                return 503, {}, "unavailable"
            return self.answers.get(path, 200), {}, "ok"


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        decoded = json.loads(raw)
        return decoded if isinstance(decoded, dict) else {"_": decoded}
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}


@contextmanager
def running() -> Iterator[StandIn]:
    """Start the stand-in on a free loopback port; stop it afterwards."""
    standin: StandIn

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # slack_sdk reads (`users.info`, `usergroups.users.list`) with GET and a query.
            path, _, query = self.path.partition("?")
            self._answer(path, _decode(query.encode(), "query"), b"")

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = _decode(raw, self.headers.get("Content-Type", ""))
            self._answer(self.path.split("?", 1)[0], body, raw)

        def _answer(self, path: str, body: dict[str, Any], raw: bytes) -> None:
            standin.calls.append(Call(path, body, dict(self.headers.items()), raw))
            code, headers, answer = standin.handle(path, body)
            standin.pause(path, body)
            data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            try:
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller is gone (a test killed it while its answer was held)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin = StandIn(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
