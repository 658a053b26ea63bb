"""The environment's status: one typed document for `dev status --json`, scripts and tests.

Tests parse `headwind dev status --json` with `DevStatus.model_validate_json`, so the keys the
issue promises (kubeconfig, temporal_address, temporal_namespace, temporal_ui_url, registry,
registry_private, helm_repo_url, api_url, state_dir) are fields here and cannot silently go.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["DevStatus", "ProcessStatus", "render_text"]


class ProcessStatus(BaseModel):
    """One process of the environment."""

    model_config = ConfigDict(frozen=True)

    running: bool
    pid: int | None
    log: str
    url: str | None = None


class DevStatus(BaseModel):
    """Where everything of a local environment is, and whether it runs."""

    model_config = ConfigDict(frozen=True)

    state_dir: str
    running: bool
    """True when every process of the environment is running."""
    kubeconfig: str
    kube_apiserver_url: str
    kubernetes_version: str | None
    """The version the binaries were built at (what /version must answer)."""
    nodes: list[str]
    temporal_address: str
    temporal_namespace: str
    temporal_ui_url: str
    registry: str
    """`host:port` of the anonymous registry, as written in image references."""
    registry_private: str
    registry_private_username: str
    registry_private_password: str
    registry_webhook_token: str
    """Bearer token the registries send with every notification."""
    webhook_token: str = ""
    """`HEADWIND_WEBHOOK_TOKEN` of the environment's Headwind: the secret of every webhook
    source other than `registry` (their own secrets are unset)."""
    registry_notify_urls: list[str]
    """Where the anonymous registry's notifications go (Headwind's API first)."""
    recorder_url: str
    """Base URL of the notification recorder: `GET <recorder_url>/notifications/<registry>`."""
    helm_repo_url: str
    helm_repo_private_url: str
    helm_repo_username: str
    helm_repo_password: str
    helm_repo_dir: str
    """Directory served as the Helm repository: `index.yaml` at its root, archives beside it."""
    api_url: str
    ports: dict[str, int]
    processes: dict[str, ProcessStatus]


def render_text(status: DevStatus) -> str:
    """The human-readable `dev status`."""
    lines = [
        f"state dir        {status.state_dir}",
        f"kubeconfig       {status.kubeconfig}   (export KUBECONFIG=...)",
        f"kube-apiserver   {status.kube_apiserver_url}   {status.kubernetes_version or ''}",
        f"Temporal         {status.temporal_address}   namespace {status.temporal_namespace}",
        f"Temporal Web UI  {status.temporal_ui_url}",
        f"Headwind web UI  {status.api_url}/   (REST API under /api/v1, OpenAPI at /docs)",
        f"registry         {status.registry}   (anonymous)",
        f"registry         {status.registry_private}   "
        f"(user {status.registry_private_username}, password {status.registry_private_password})",
        f"Helm repository  {status.helm_repo_url}   (and {status.helm_repo_private_url} with the "
        "same user and password)",
        f"notifications    {status.recorder_url}/notifications/registry",
        "",
        f"{'process':<24} {'state':<8} {'pid':>7}  log",
    ]
    for name, process in status.processes.items():
        state = "running" if process.running else "stopped"
        pid = str(process.pid) if process.pid else "-"
        lines.append(f"{name:<24} {state:<8} {pid:>7}  {process.log}")
    return "\n".join(lines)
