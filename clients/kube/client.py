"""A small JSON client over the official `kubernetes` package's ApiClient.

Headwind reads and patches five kinds, two of them custom resources, and only ever needs their
JSON; raw REST paths keep every kind on one code path and the objects as plain dicts that the
pure rules in `headwind.workloads` understand. Blocking by design: activities that use it are
synchronous and run on the worker's thread pool.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clients.kube import streaming
from headwind.models import WorkloadKind
from headwind.settings import Settings

__all__ = [
    "TRANSPORT_ERRORS",
    "Conflict",
    "Forbidden",
    "Invalid",
    "Kube",
    "KubeError",
    "NotFound",
    "collection_path",
    "resource_path",
]

JsonObj = dict[str, Any]


class KubeError(Exception):
    """The apiserver refused a request; `status` is the HTTP status, `message` its reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message

    @property
    def permanent(self) -> bool:
        """Asking again cannot help: a bad request, a missing permission, a path or body the
        apiserver will never accept (400, 401, 403, 404, 405, 413, 415, 422). Conflicts (409,
        a failed `test`), throttling (429) and server errors (5xx) are transient."""
        return self.status in _PERMANENT


_PERMANENT = frozenset({400, 401, 403, 404, 405, 413, 415, 422})


class NotFound(KubeError):
    """404: the object does not exist."""


class Forbidden(KubeError):
    """401 or 403: Headwind's identity may not do this (RBAC); asking again cannot help."""


class Invalid(KubeError):
    """400, 405, 413, 415 or 422: the apiserver will never accept this request."""


class Conflict(KubeError):
    """409 (resourceVersion conflict) or 422 on a failed JSON Patch `test`: read again."""

    @property
    def permanent(self) -> bool:
        return False


TRANSPORT_ERRORS: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError, OSError)
"""What a request raises when the apiserver cannot be reached or the connection breaks.

Not wrapped in `KubeError`: activities let Temporal retry these, and callers that loop on their
own (the watcher) catch them together with `KubeError`."""


_GROUPS: dict[WorkloadKind, tuple[str, str]] = {
    kind: (f"/apis/{kind.api_version}", kind.value.lower() + "s") for kind in WorkloadKind
}


def resource_path(kind: WorkloadKind, namespace: str, name: str | None = None) -> str:
    group, plural = _GROUPS[kind]
    path = f"{group}/namespaces/{quote(namespace, safe='')}/{plural}"
    return f"{path}/{quote(name, safe='')}" if name else path


def collection_path(kind: WorkloadKind, namespace: str | None = None) -> str:
    """Every object of a kind in one namespace, or in all of them (None)."""
    if namespace is not None:
        return resource_path(kind, namespace)
    group, plural = _GROUPS[kind]
    return f"{group}/{plural}"


class Kube:
    """JSON requests to the apiserver with the credentials of a kubeconfig or the pod."""

    def __init__(self, api: k8s.ApiClient) -> None:
        self._api = api

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Kube:
        """As `HEADWIND_KUBECONFIG` and `HEADWIND_KUBE_CONTEXT` say (`options`: of `connect`)."""
        kubeconfig = str(settings.kubeconfig) if settings.kubeconfig else None
        return cls.connect(kubeconfig, context=settings.kube_context, **options)

    @classmethod
    def connect(
        cls,
        kubeconfig: str | None = None,
        *,
        context: str | None = None,
        pool_size: int | None = None,
        retries: bool = True,
    ) -> Kube:
        """From a kubeconfig path; without one, in-cluster config, then the default kubeconfig.

        `context` picks a kubeconfig context other than the file's current one.

        `pool_size` raises the number of kept-alive connections, for a client whose watches each
        hold one for minutes. `retries=False` turns off urllib3's own quick retries, for a
        caller that retries with its own backoff (the watcher, the leader elector).
        """
        configuration = k8s.Configuration()
        if pool_size is not None:
            configuration.connection_pool_maxsize = pool_size
        if not retries:
            configuration.retries = False
        if kubeconfig:
            k8s_config.load_kube_config(
                config_file=kubeconfig, context=context, client_configuration=configuration
            )
        elif context is not None:
            k8s_config.load_kube_config(context=context, client_configuration=configuration)
        else:
            try:
                k8s_config.load_incluster_config(client_configuration=configuration)
            except k8s_config.ConfigException:
                k8s_config.load_kube_config(client_configuration=configuration)
        return cls(k8s.ApiClient(configuration))

    def close(self) -> None:
        self._api.close()

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        query: Sequence[tuple[str, str]] = (),
        content_type: str = "application/json",
        timeout: float = 30,
    ) -> JsonObj:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        prepared = self._api.param_serialize(
            method,
            path,
            query_params=list(query) or None,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(*prepared, _request_timeout=timeout)
            response.read()
        except k8s.ApiException as exc:
            raise _error(exc.status or 0, exc.body or exc.reason or "") from exc
        status = int(response.status)
        text = (response.data or b"").decode("utf-8", "replace")
        if status >= 400:
            raise _error(status, text)
        return json.loads(text) if text else {}

    def get(self, path: str) -> JsonObj:
        return self.request("GET", path)

    def list(self, path: str, *, label_selector: str | None = None) -> list[JsonObj]:
        query = [("labelSelector", label_selector)] if label_selector else []
        items = self.request("GET", path, query=query).get("items") or []
        return [item for item in items if isinstance(item, dict)]

    def json_patch(self, path: str, ops: Sequence[Mapping[str, Any]]) -> JsonObj:
        return self.request("PATCH", path, list(ops), content_type="application/json-patch+json")

    def merge_patch(self, path: str, body: Mapping[str, Any]) -> JsonObj:
        return self.request("PATCH", path, body, content_type="application/merge-patch+json")

    def create(self, path: str, body: Mapping[str, Any]) -> JsonObj:
        return self.request("POST", path, body)

    def replace(self, path: str, body: Mapping[str, Any]) -> JsonObj:
        """PUT: with `metadata.resourceVersion` set, an optimistic write (409 if it moved)."""
        return self.request("PUT", path, body)

    def stream(
        self, path: str, *, query: Sequence[tuple[str, str]], read_timeout: float
    ) -> streaming.Stream:
        """Open a watch (`query` has `watch=1`); the events are read from the returned stream.

        `read_timeout` bounds the silence between two chunks, so a connection that died without
        a FIN is noticed; the server's `timeoutSeconds` plus bookmarks keep a healthy one busy.
        """
        prepared = self._api.param_serialize(
            "GET",
            path,
            query_params=list(query) or None,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(*prepared, _request_timeout=(10, read_timeout))
        except k8s.ApiException as exc:
            raise _error(exc.status or 0, exc.body or exc.reason or "") from exc
        status = int(response.status)
        if status >= 400:
            response.read()
            raise _error(status, response.data or b"")
        return streaming.Stream(response.response)


def _error(status: int, body: str | bytes) -> KubeError:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        message = str(json.loads(text).get("message", text))
    except (ValueError, AttributeError):
        message = text
    if status == 404:
        return NotFound(status, message)
    # A JSON Patch `test` that fails is the optimistic-concurrency guard, not a bad request.
    failed_test = "testing value" in message or "test failed" in message
    if status == 409 or (status == 422 and failed_test):
        return Conflict(status, message)
    if status in (401, 403):
        return Forbidden(status, message)
    if status in _PERMANENT:
        return Invalid(status, message)
    return KubeError(status, message)
