"""Reaching Headwind's REST API from a user's machine, for `kubectl headwind`.

Two ways: through the apiserver's service proxy with the user's own kubeconfig (nothing to
expose; the user needs `get`/`create` on `services/proxy` of Headwind's Service), or at a URL
the user gives (an Ingress, a port-forward, the local environment), with an optional bearer
token. Both answer JSON and raise `ApiError` with the HTTP status.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx

from clients.kube.client import Kube, KubeError

__all__ = ["ApiError", "DirectApi", "HeadwindApi", "ProxiedApi"]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class HeadwindApi(Protocol):
    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any: ...


class ProxiedApi:
    """The API behind Headwind's Service, through `/api/v1/namespaces/N/services/S:http/proxy`."""

    def __init__(self, kube: Kube, namespace: str, service: str) -> None:
        self._kube = kube
        self.base = (
            f"/api/v1/namespaces/{quote(namespace, safe='')}/services/"
            f"{quote(service, safe='')}:http/proxy"
        )

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            return self._kube.request(method, self.base + path, body)
        except KubeError as exc:
            raise ApiError(exc.status, exc.message) from exc


class DirectApi:
    """The API at a URL, with an optional bearer token."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ApiError(0, f"cannot reach the Headwind API: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = str(response.json().get("detail", response.text))
            except ValueError:
                message = response.text
            raise ApiError(response.status_code, message)
        return response.json() if response.content else None
