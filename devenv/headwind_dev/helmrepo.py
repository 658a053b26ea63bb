"""A Helm HTTP repository for the local environment: a served directory, with and without auth.

A classic Helm repository is nothing but static files: `index.yaml` at the root and chart
archives next to it. This server (`python -m headwind_dev.helmrepo`) serves `<state>/helm-repo/`
read-only twice: anonymously, and behind HTTP basic auth (for HelmRepository `secretRef`
tests). Publishing a chart version is writing files into that directory (the chart publishing
helper does it: archive first, then `index.yaml`, atomically), so the server needs no API.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import os
import threading
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["PASSWORD_ENV", "USERNAME_ENV", "ensure_index", "main"]

USERNAME_ENV = "HEADWIND_DEV_HELM_USERNAME"
PASSWORD_ENV = "HEADWIND_DEV_HELM_PASSWORD"
"""Credentials of the authenticated listener, through the environment (not the command line)."""


def ensure_index(directory: Path) -> None:
    """An empty but valid `index.yaml`, so a HelmRepository can point here before any chart."""
    directory.mkdir(parents=True, exist_ok=True)
    index = directory / "index.yaml"
    if not index.exists():
        generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        index.write_text(f'apiVersion: v1\nentries: {{}}\ngenerated: "{generated}"\n')


class _Handler(SimpleHTTPRequestHandler):
    """Static files, GET and HEAD only, no directory listings, optional basic auth."""

    server_version = "headwind-dev-helmrepo"
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".yaml": "application/x-yaml",
        ".tgz": "application/gzip",
        ".prov": "application/pgp-signature",
    }

    def __init__(self, *args: Any, credentials: bytes | None, **kwargs: Any) -> None:
        self.credentials = credentials
        super().__init__(*args, **kwargs)

    def _authorized(self) -> bool:
        if self.credentials is None:
            return True
        supplied = self.headers.get("Authorization", "").encode()
        if hmac.compare_digest(supplied, self.credentials):
            return True
        self.send_response(HTTPStatus.UNAUTHORIZED)
        self.send_header("WWW-Authenticate", 'Basic realm="headwind-dev"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_GET(self) -> None:
        if self._authorized():
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._authorized():
            super().do_HEAD()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "no directory listings")
        return


def _serve(directory: Path, port: int, credentials: bytes | None) -> ThreadingHTTPServer:
    handler = partial(_Handler, directory=str(directory), credentials=credentials)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a Helm HTTP repository directory.")
    parser.add_argument("--directory", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True, help="anonymous listener")
    parser.add_argument(
        "--auth-port", type=int, help=f"basic-auth listener ({USERNAME_ENV}/{PASSWORD_ENV})"
    )
    args = parser.parse_args(argv)
    ensure_index(args.directory)
    servers = [_serve(args.directory, args.port, None)]
    if args.auth_port:
        user, password = os.environ.get(USERNAME_ENV, ""), os.environ.get(PASSWORD_ENV, "")
        if not user or not password:
            parser.error(f"--auth-port needs {USERNAME_ENV} and {PASSWORD_ENV}")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        servers.append(_serve(args.directory, args.auth_port, f"Basic {token}".encode()))
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.server_close()


if __name__ == "__main__":
    main()
