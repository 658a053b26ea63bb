"""Two local OCI registries (CNCF Distribution from Debian): anonymous, and htpasswd-protected.

Both keep their blobs in the state directory and send notifications the way a self-hosted
registry would in production: to Headwind's `/webhook/registry` with a bearer token, and to the
environment's notification recorder (so a push can be seen arriving even while the API is not
running). The private one requires basic auth, for imagePullSecrets and private polling tests.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import httpx
import yaml

from headwind_dev import binaries, processes, settings, waiting
from headwind_dev.components import Component

__all__ = ["components", "notification_endpoints", "recorder_url"]

REALM = "headwind-dev"


def recorder_url(config: settings.DevSettings, source: str) -> str:
    """Where the recorder takes a registry's (`registry`, `registry-private`) notifications."""
    return f"http://127.0.0.1:{config.ports.recorder}/notifications/{source}"


def notification_endpoints(config: settings.DevSettings, source: str) -> list[str]:
    return [
        f"{config.api_url}/webhook/registry",
        recorder_url(config, source),
        *config.extra_notify_urls,
    ]


def _config(
    config: settings.DevSettings, source: str, root: Path, port: int, htpasswd: Path | None
) -> dict[str, object]:
    token = settings.Credentials.load_or_create(
        config.layout.credentials_file
    ).registry_webhook_token
    endpoint_names = ["headwind", "recorder"] + [
        f"extra-{index}" for index in range(len(config.extra_notify_urls))
    ]
    document: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text", "fields": {"service": source}},
        "storage": {
            "filesystem": {"rootdirectory": str(root / "data")},
            "delete": {"enabled": True},
            "cache": {"blobdescriptor": "inmemory"},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {
            "addr": f"127.0.0.1:{port}",
            "secret": _http_secret(root),
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
        "notifications": {
            "events": {"includereferences": True},
            "endpoints": [
                {
                    "name": name,
                    "url": url,
                    "headers": {"Authorization": [f"Bearer {token}"]},
                    "timeout": "2s",
                    "threshold": 3,
                    "backoff": "2s",
                    # Only manifest pushes and deletes say something new to Headwind: blob
                    # uploads (octet-stream) and pulls are noise.
                    "ignore": {"mediatypes": ["application/octet-stream"], "actions": ["pull"]},
                }
                for name, url in zip(
                    endpoint_names, notification_endpoints(config, source), strict=True
                )
            ],
        },
    }
    if htpasswd is not None:
        document["auth"] = {"htpasswd": {"realm": REALM, "path": str(htpasswd)}}
    return document


def _http_secret(root: Path) -> str:
    # Signs upload state; stable across restarts so an interrupted upload can resume.
    path = root / "http-secret"
    if not path.is_file():
        root.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()


def _write_htpasswd(config: settings.DevSettings, path: Path) -> None:
    credentials = settings.Credentials.load_or_create(config.layout.credentials_file)
    # bcrypt (-B) is the only hash Distribution accepts; -i reads the password from stdin so it
    # never shows up in a process listing.
    result = subprocess.run(
        [str(binaries.htpasswd()), "-B", "-i", "-c", str(path), credentials.private_username],
        input=credentials.private_password,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise waiting.StartupError(f"htpasswd failed: {result.stderr.strip()}")


def _prepare(
    config: settings.DevSettings, source: str, root: Path, port: int, private: bool
) -> None:
    root.mkdir(parents=True, exist_ok=True)
    htpasswd = root / "htpasswd" if private else None
    if htpasswd is not None:
        _write_htpasswd(config, htpasswd)
    document = _config(config, source, root, port, htpasswd)
    (root / "config.yml").write_text(yaml.safe_dump(document, sort_keys=False))


def _process(name: str, root: Path) -> processes.ProcessSpec:
    return processes.ProcessSpec(
        name=name, argv=(str(binaries.registry()), "serve", str(root / "config.yml"))
    )


def _ready(config: settings.DevSettings, port: int, private: bool) -> None:
    url = f"http://127.0.0.1:{port}/v2/"
    try:
        response = httpx.get(url, timeout=5)
        if private:
            if response.status_code != 401:
                raise waiting.NotReady(f"{url} answered {response.status_code} without credentials")
            credentials = settings.Credentials.load_or_create(config.layout.credentials_file)
            auth = (credentials.private_username, credentials.private_password)
            response = httpx.get(url, auth=auth, timeout=5)
    except httpx.HTTPError as error:
        raise waiting.NotReady(f"{url}: {error or type(error).__name__}") from None
    if response.status_code != 200:
        raise waiting.NotReady(f"{url} answered {response.status_code}")


def components(config: settings.DevSettings) -> list[Component]:
    layout = config.layout
    ports = config.ports
    return [
        Component(
            name="registry",
            prepare=lambda: _prepare(config, "registry", layout.registry, ports.registry, False),
            process=lambda: _process("registry", layout.registry),
            ready=lambda: _ready(config, ports.registry, False),
            url=f"127.0.0.1:{ports.registry}",
        ),
        Component(
            name="registry-private",
            prepare=lambda: _prepare(
                config, "registry-private", layout.registry_private, ports.registry_private, True
            ),
            process=lambda: _process("registry-private", layout.registry_private),
            ready=lambda: _ready(config, ports.registry_private, True),
            url=f"127.0.0.1:{ports.registry_private}",
        ),
    ]
