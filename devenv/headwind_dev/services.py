"""The environment's own small HTTP services: the Helm repository and the notification recorder.

Both are Python modules of this package run as child processes with the interpreter that runs
`headwind dev up`; their secrets travel through the environment, not the command line.
"""

from __future__ import annotations

import sys

import httpx

from headwind_dev import helmrepo, processes, recorder, settings, waiting
from headwind_dev.components import Component

__all__ = ["components"]


def _helm_repo(config: settings.DevSettings) -> processes.ProcessSpec:
    credentials = settings.Credentials.load_or_create(config.layout.credentials_file)
    return processes.ProcessSpec(
        name="helm-repo",
        argv=(
            sys.executable,
            "-m",
            "headwind_dev.helmrepo",
            "--directory",
            str(config.layout.helm_repo),
            "--port",
            str(config.ports.helm_repo),
            "--auth-port",
            str(config.ports.helm_repo_private),
        ),
        env={
            helmrepo.USERNAME_ENV: credentials.private_username,
            helmrepo.PASSWORD_ENV: credentials.private_password,
        },
    )


def _recorder(config: settings.DevSettings) -> processes.ProcessSpec:
    credentials = settings.Credentials.load_or_create(config.layout.credentials_file)
    return processes.ProcessSpec(
        name="recorder",
        argv=(
            sys.executable,
            "-m",
            "headwind_dev.recorder",
            "--directory",
            str(config.layout.recorder),
            "--port",
            str(config.ports.recorder),
        ),
        env={recorder.TOKEN_ENV: credentials.registry_webhook_token},
    )


def _expect(url: str, status: int, auth: tuple[str, str] | None = None) -> None:
    try:
        response = httpx.get(url, auth=auth, timeout=5)
    except httpx.HTTPError as error:
        raise waiting.NotReady(f"{url}: {error or type(error).__name__}") from None
    if response.status_code != status:
        raise waiting.NotReady(f"{url} answered {response.status_code}, expected {status}")


def _helm_repo_ready(config: settings.DevSettings) -> None:
    credentials = settings.Credentials.load_or_create(config.layout.credentials_file)
    _expect(f"http://127.0.0.1:{config.ports.helm_repo}/index.yaml", 200)
    private = f"http://127.0.0.1:{config.ports.helm_repo_private}/index.yaml"
    _expect(private, 401)
    _expect(private, 200, (credentials.private_username, credentials.private_password))


def components(config: settings.DevSettings) -> list[Component]:
    return [
        Component(
            name="helm-repo",
            prepare=lambda: helmrepo.ensure_index(config.layout.helm_repo),
            process=lambda: _helm_repo(config),
            ready=lambda: _helm_repo_ready(config),
            url=f"http://127.0.0.1:{config.ports.helm_repo}",
        ),
        Component(
            name="recorder",
            process=lambda: _recorder(config),
            ready=lambda: _expect(f"http://127.0.0.1:{config.ports.recorder}/healthz", 200),
            url=f"http://127.0.0.1:{config.ports.recorder}",
        ),
    ]
