"""A notification recorder: the second endpoint of the local registries' notifications.

Registries only tell whoever listens right now; when the Headwind API is down, being debugged,
or not written yet, the pushes it missed are gone. This small server (`python -m
headwind_dev.recorder`) receives the same notifications, checks the bearer token exactly as
Headwind does, appends every event to `<state>/notifications/<source>.jsonl`, and serves them
back at `GET /notifications/<source>`, so a developer can see what a push sent and a test can
wait for the notification of its own push.

Routes: `POST /notifications/<source>` (Distribution's envelope `{"events": [...]}`),
`GET /notifications/<source>` (every recorded event, oldest first), `GET /healthz`.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["TOKEN_ENV", "main"]

TOKEN_ENV = "HEADWIND_DEV_RECORDER_TOKEN"
"""The expected bearer token comes through the environment, never the command line."""

_SOURCE = re.compile(r"^/notifications/([A-Za-z0-9_.-]+)$")
_MAX_BODY = 4 * 1024 * 1024


class _Store:
    """Events per source, in memory for GET and appended to a JSON-lines file for people."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lock = threading.Lock()
        self.events: dict[str, list[dict[str, Any]]] = {}
        directory.mkdir(parents=True, exist_ok=True)
        for path in directory.glob("*.jsonl"):
            lines = path.read_text().splitlines()
            self.events[path.stem] = [json.loads(line) for line in lines if line.strip()]

    def add(self, source: str, events: list[dict[str, Any]]) -> None:
        with self.lock:
            self.events.setdefault(source, []).extend(events)
            with (self.directory / f"{source}.jsonl").open("a") as handle:
                for event in events:
                    handle.write(json.dumps(event, separators=(",", ":")) + "\n")

    def get(self, source: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.events.get(source, []))


def _handler(store: _Store, token: str) -> type[BaseHTTPRequestHandler]:
    expected = f"Bearer {token}"

    class Handler(BaseHTTPRequestHandler):
        server_version = "headwind-dev-recorder"

        def _reply(self, status: HTTPStatus, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(HTTPStatus.OK, {"status": "ok"})
                return
            match = _SOURCE.match(self.path)
            if match is None:
                self._reply(HTTPStatus.NOT_FOUND, {"error": "unknown path"})
                return
            self._reply(HTTPStatus.OK, {"events": store.get(match.group(1))})

        def do_POST(self) -> None:
            match = _SOURCE.match(self.path)
            if match is None:
                self._reply(HTTPStatus.NOT_FOUND, {"error": "unknown path"})
                return
            supplied = self.headers.get("Authorization", "")
            if not hmac.compare_digest(supplied.encode(), expected.encode()):
                self._reply(HTTPStatus.UNAUTHORIZED, {"error": "bad or missing bearer token"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
                return
            try:
                envelope = json.loads(self.rfile.read(length) or b"{}")
                events = envelope["events"]
                if not isinstance(events, list):
                    raise TypeError("events is not a list")
            except (ValueError, KeyError, TypeError) as error:
                self._reply(
                    HTTPStatus.BAD_REQUEST, {"error": f"not a notification envelope: {error}"}
                )
                return
            store.add(match.group(1), events)
            self._reply(HTTPStatus.OK, {"recorded": len(events)})

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", type=Path, required=True)
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        parser.error(f"{TOKEN_ENV} is not set")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(_Store(args.directory), token))
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
