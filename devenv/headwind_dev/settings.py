"""Where the local environment lives and which loopback ports it uses.

Everything `headwind dev` starts is described by one `DevSettings`: the state directory (data,
logs, PID files, certificates) and a `Ports` table. Every port has a default outside the usual
ones (so a developer's own etcd, kube-apiserver or registry keeps working) and can be overridden
with `HEADWIND_DEV_PORT_<NAME>` or `headwind dev up --port name=number`; the test fixtures use
that to run a second environment next to a developer's.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Credentials",
    "DevSettings",
    "Layout",
    "Ports",
    "default_state_dir",
    "parse_port_overrides",
    "repo_root",
]

PORT_ENV_PREFIX = "HEADWIND_DEV_PORT_"


@dataclass(frozen=True)
class Ports:
    """Loopback TCP ports of every component. Field names are the override names."""

    temporal: int = 7233
    """Temporal frontend (gRPC); the SDK's and CLI's default, so `temporal` commands just work."""
    temporal_ui: int = 8233
    """Temporal Web UI (the CLI's default: gRPC port + 1000)."""
    temporal_http: int = 7243
    """Temporal's HTTP API. Pinned like every other port: left to the CLI, it takes a random
    free port at start, which another component starting at the same moment can take first."""
    temporal_metrics: int = 7253
    """Temporal server's own `/metrics` (random when left to the CLI, for the same reason)."""
    etcd: int = 22379
    """etcd client URL (2379 is left free for a real etcd)."""
    etcd_peer: int = 22380
    """etcd peer URL; unused by a single member, but etcd always listens on one."""
    apiserver: int = 26443
    """kube-apiserver HTTPS (6443 is left free for kind, k3s and friends)."""
    controller_manager: int = 20257
    """kube-controller-manager's /healthz (HTTPS)."""
    scheduler: int = 20259
    """kube-scheduler's /healthz (HTTPS)."""
    kwok: int = 20247
    """kwok's own server (/healthz, /metrics)."""
    registry: int = 25000
    """The anonymous OCI registry (5000 is the Debian package's system service)."""
    registry_private: int = 25001
    """The registry that requires htpasswd basic auth."""
    helm_repo: int = 28879
    """The anonymous Helm HTTP repository."""
    helm_repo_private: int = 28880
    """The same Helm repository behind basic auth (for HelmRepository `secretRef` tests)."""
    recorder: int = 28881
    """The notification recorder: a second endpoint of the registries' notifications."""
    api: int = 8080
    """Headwind's API; the registries notify `<api_url>/webhook/registry`."""
    worker_metrics: int = 9464
    """Headwind's Temporal SDK metrics (Prometheus), `HEADWIND_TEMPORAL_METRICS_PORT`."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(cls))

    @classmethod
    def from_env(cls, environ: Mapping[str, str], overrides: Mapping[str, int]) -> Ports:
        """Defaults, then `HEADWIND_DEV_PORT_<NAME>`, then explicit overrides (CLI flags)."""
        values: dict[str, int] = {}
        for name in cls.names():
            raw = environ.get(PORT_ENV_PREFIX + name.upper())
            if raw:
                values[name] = _port_number(raw, PORT_ENV_PREFIX + name.upper())
        values.update(overrides)
        return cls(**values)

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def _port_number(raw: str, what: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{what}: {raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ValueError(f"{what}: {port} is not a port number (1-65535)")
    return port


def parse_port_overrides(items: list[str]) -> dict[str, int]:
    """`["apiserver=36443", ...]` → `{"apiserver": 36443}`, with a clear error for typos."""
    overrides: dict[str, int] = {}
    known = Ports.names()
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in known:
            raise ValueError(
                f"--port {item!r}: expected NAME=NUMBER with NAME one of {', '.join(known)}"
            )
        overrides[name] = _port_number(raw.strip(), f"--port {name}")
    return overrides


def repo_root() -> Path | None:
    """The source checkout this package runs from, if any (where `scripts/build-k8s` lives)."""
    candidate = Path(__file__).resolve().parents[2]
    if (candidate / "scripts" / "build-k8s").is_file() and (candidate / "pyproject.toml").is_file():
        return candidate
    return None


def default_state_dir(environ: Mapping[str, str]) -> Path:
    """`$HEADWIND_STATE_DIR`, else `<checkout>/.state/dev`, else `$XDG_STATE_HOME/headwind/dev`.

    Inside a checkout the state sits next to the code (git-ignored), so two checkouts never share
    an etcd or a Temporal database by accident.
    """
    explicit = environ.get("HEADWIND_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    root = repo_root()
    if root is not None:
        return root / ".state" / "dev"
    xdg = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "headwind" / "dev"


@dataclass(frozen=True)
class Layout:
    """Every path inside the state directory, in one place."""

    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """PID files (one JSON document per process)."""
        return self.root / "run"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def kube(self) -> Path:
        """Component kubeconfigs, kwok config, the components' self-signed serving certs."""
        return self.root / "kube"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (client certificate in `system:masters`)."""
        return self.root / "kubeconfig"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def temporal_db(self) -> Path:
        return self.root / "temporal.db"

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def registry_private(self) -> Path:
        return self.root / "registry-private"

    @property
    def helm_repo(self) -> Path:
        """Served directory: `index.yaml` at its root, chart archives beside it."""
        return self.root / "helm-repo"

    @property
    def recorder(self) -> Path:
        """Where the notification recorder appends what it received (JSON lines)."""
        return self.root / "notifications"

    @property
    def env_file(self) -> Path:
        """Resolved settings of the last `up` (ports, binaries), read by `status` and `down`."""
        return self.root / "env.json"

    @property
    def credentials_file(self) -> Path:
        return self.root / "credentials.json"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        return self.run / f"{name}.pid"


@dataclass(frozen=True)
class Credentials:
    """Secrets generated once per state directory and reused by every later `up`."""

    registry_webhook_token: str
    """Bearer token the registries send to `/webhook/registry`."""
    private_username: str
    """User of the private registry and the private Helm repository."""
    private_password: str
    webhook_token: str = ""
    """`HEADWIND_WEBHOOK_TOKEN`: the secret of every other webhook source (and the native
    one), so tests and people can post any registry's payload to the local API."""

    @classmethod
    def load_or_create(cls, path: Path) -> Credentials:
        if path.is_file():
            loaded = cls(**json.loads(path.read_text()))
            if loaded.webhook_token:
                return loaded
            # A state directory from before the field existed: add it, keep the rest.
            created = dataclasses.replace(loaded, webhook_token=secrets.token_urlsafe(24))
        else:
            created = cls(
                registry_webhook_token=secrets.token_urlsafe(24),
                private_username="headwind",
                private_password=secrets.token_urlsafe(16),
                webhook_token=secrets.token_urlsafe(24),
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written with 0600 from the start: it holds passwords.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(dataclasses.asdict(created), handle, indent=2)
        return created


@dataclass(frozen=True)
class DevSettings:
    """The resolved configuration of one local environment."""

    state_dir: Path
    ports: Ports
    bin_dir: Path | None = None
    """Kubernetes binaries (etcd, kube-*, kubectl, kwok); filled in once `build-k8s` has run."""
    extra_notify_urls: tuple[str, ...] = ()
    """More registry notification endpoints besides the API and the recorder."""
    node_count: int = 3
    """How many fake kwok nodes (`HEADWIND_DEV_NODES`)."""

    @property
    def layout(self) -> Layout:
        return Layout(self.state_dir)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    def binary(self, name: str) -> Path:
        if self.bin_dir is None:
            raise RuntimeError("the Kubernetes binaries have not been located yet")
        return self.bin_dir / name

    def to_json(self) -> dict[str, object]:
        return {
            "state_dir": str(self.state_dir),
            "ports": self.ports.as_dict(),
            "bin_dir": str(self.bin_dir) if self.bin_dir else None,
            "extra_notify_urls": list(self.extra_notify_urls),
            "node_count": self.node_count,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DevSettings:
        known = set(Ports.names())
        # Ports added by a later version of this file keep their defaults.
        ports = {name: int(port) for name, port in data.get("ports", {}).items() if name in known}
        bin_dir = data.get("bin_dir")
        return cls(
            state_dir=Path(data["state_dir"]),
            ports=Ports(**ports),
            bin_dir=Path(bin_dir) if bin_dir else None,
            extra_notify_urls=tuple(data.get("extra_notify_urls", ())),
            node_count=int(data.get("node_count", 3)),
        )
