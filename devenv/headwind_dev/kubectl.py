"""Talking to the local apiserver from the local environment: kubectl and plain HTTPS.

Only `activities` may import the `kubernetes` package (import-linter enforces it), and the dev
environment needs little: apply manifests, wait for conditions, and poll health endpoints. So
it shells out to the kubectl it built and uses httpx with the admin client certificate.
"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import httpx

from headwind_dev import pki, settings, waiting

__all__ = ["apiserver_client", "get_health", "run"]


def run(
    config: settings.DevSettings,
    *args: str,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """kubectl with the admin kubeconfig; the caller decides what a failure means."""
    return subprocess.run(
        [str(config.binary("kubectl")), "--kubeconfig", str(config.layout.kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _tls_context(
    ca: Path | None, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    if ca is None:
        # The controller-manager and scheduler serve /healthz with certificates they sign
        # themselves at start; only liveness is asked of them, never a secret.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None and key is not None:
        context.load_cert_chain(str(cert), str(key))
    return context


def apiserver_client(config: settings.DevSettings) -> httpx.Client:
    """An httpx client authenticated as the admin, trusting only the environment's CA."""
    keys = pki.Pki(config.layout.pki)
    return httpx.Client(
        base_url=f"https://127.0.0.1:{config.ports.apiserver}",
        verify=_tls_context(keys.ca_cert, keys.client_cert(pki.ADMIN), keys.client_key(pki.ADMIN)),
        timeout=5,
    )


def get_health(url: str, *, ca: Path | None = None) -> None:
    """Raises `NotReady` unless `url` answers 200 (used for /healthz, /readyz, /health)."""
    try:
        with httpx.Client(verify=_tls_context(ca) if url.startswith("https") else True) as client:
            response = client.get(url, timeout=5)
    except httpx.HTTPError as error:
        raise waiting.NotReady(f"{url}: {error or type(error).__name__}") from None
    if response.status_code != 200:
        raise waiting.NotReady(f"{url} answered {response.status_code}: {response.text[:300]}")
