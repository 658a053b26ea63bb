"""Headwind's process settings: every `HEADWIND_*` environment variable, typed and documented.

One flat model, because flat names (`HEADWIND_TEMPORAL_ADDRESS`) are what people type into a
Deployment's `env:`. Each field's docstring says what it means, its unit and why its default;
`reference_table` renders those docstrings as the table in `docs/configuration.md`, and a
test keeps the two identical (`python -m headwind.settings` prints it).

Nothing reads settings at import time: `get_settings()` builds them where a process starts
(the worker's and the API's entry points) and they are passed down, so tests build their own.
Per-workload behaviour lives in annotations (`headwind.annotations`), not here.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from headwind import durations, naming

__all__ = [
    "ENV_PREFIX",
    "AuthMode",
    "LogFormat",
    "LogLevel",
    "MetricsBackend",
    "Settings",
    "SettingsError",
    "check_api_exposure",
    "env_name",
    "get_settings",
    "reference_table",
]

ENV_PREFIX = "HEADWIND_"

_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)
_HEADER = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", re.ASCII)
_URL = re.compile(r"https?://\S+", re.ASCII)
_SLACK_ID = re.compile(r"[UWS][A-Z0-9]{2,20}", re.ASCII)
"""A Slack user (`U…`, `W…` on Enterprise Grid) or user-group (`S…`) ID."""
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@", re.ASCII)
_REGISTRY_HOST = re.compile(r"[a-z0-9.-]+(:[0-9]{1,5})?|\[[0-9a-f:]+\](:[0-9]{1,5})?", re.ASCII)

Port = Annotated[int, Field(ge=1, le=65_535)]


class SettingsError(ValueError):
    """The environment holds a value Headwind cannot start with; the message names the variable."""


class AuthMode(StrEnum):
    """How the API and web UI learn who is calling."""

    NONE = "none"
    """Everyone is anonymous and may approve: only for a loopback-bound development setup."""
    SIMPLE = "simple"
    """The caller names themselves in `X-User`; trusted, not verified."""
    TOKEN = "token"
    """A Kubernetes bearer token, checked with TokenReview and SubjectAccessReview."""
    PROXY = "proxy"
    """An authenticating proxy in front of Headwind sets `HEADWIND_UI_AUTH_PROXY_HEADER`."""


class LogLevel(StrEnum):
    """Least severe log records written."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LogFormat(StrEnum):
    """How log records are written."""

    TEXT = "text"
    JSON = "json"


class MetricsBackend(StrEnum):
    """Where the web UI's observability page reads Headwind's metrics over time."""

    AUTO = "auto"
    """Whichever backend answers at `HEADWIND_METRICS_BACKEND_URL` (probed at start); no URL
    means no backend."""
    NONE = "none"
    """No backend, even with a URL: the page shows a live snapshot of this process's
    `/metrics`."""
    PROMETHEUS = "prometheus"
    """Prometheus's HTTP query API (PromQL)."""
    VICTORIAMETRICS = "victoriametrics"
    """VictoriaMetrics's Prometheus-compatible query API (PromQL)."""
    INFLUXDB = "influxdb"
    """InfluxDB 1.x's `/query` endpoint (InfluxQL), fed by Prometheus `remote_write`."""


class Settings(BaseSettings):
    """Everything an operator of Headwind can configure, read from `HEADWIND_*` variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        use_attribute_docstrings=True,
        frozen=True,
        extra="ignore",
        # An empty variable (`HEADWIND_KUBECONFIG=`) means "not set", as it does for most tools.
        env_ignore_empty=True,
        # `HEADWIND_TEMPORAL_METRICS_PORT=none` turns an optional feature off explicitly.
        env_parse_none_str="none",
    )

    # --- Temporal -------------------------------------------------------------------------

    temporal_address: str = "localhost:7233"
    """`host:port` of the Temporal frontend. The default is where the embedded dev server
    (and `temporal server start-dev`) listens."""

    temporal_namespace: str = "default"
    """Temporal namespace for Headwind's workflows; the dev server creates `default`. On
    Temporal Cloud this is `<name>.<account>`."""

    temporal_task_queue: str = naming.TASK_QUEUE
    """Task queue every Headwind worker polls, with `<queue>-slots` for the container slots
    (a worker of their own in the same process). Change it only to run two Headwinds against
    one Temporal namespace."""

    temporal_tls: bool = False
    """Connect to Temporal over TLS. Implied when a certificate, CA or API key is set; set it
    alone for a TLS frontend with a publicly trusted certificate."""

    temporal_tls_cert: Path | None = None
    """Client certificate (PEM file) for mutual TLS, e.g. Temporal Cloud with certificates.
    Needs `HEADWIND_TEMPORAL_TLS_KEY`."""

    temporal_tls_key: Path | None = None
    """Private key (PEM file) of `HEADWIND_TEMPORAL_TLS_CERT`."""

    temporal_tls_ca: Path | None = None
    """CA bundle (PEM file) to verify the Temporal frontend; unset uses the system roots."""

    temporal_tls_server_name: str | None = None
    """Server name to verify when it differs from the address's host (an IP, a tunnel)."""

    temporal_api_key: SecretStr | None = None
    """API key for Temporal Cloud (sent as a bearer token, implies TLS)."""

    temporal_ui_url: str | None = None
    """Base URL of the Temporal Web UI, for "open in Temporal" links in the UI and
    notifications. Unset hides the links; the embedded launcher sets it to its dev server."""

    temporal_metrics_port: Port | None = 9464
    """Port of the Temporal SDK's own Prometheus endpoint (worker, activity and workflow task
    metrics), bound on `HEADWIND_METRICS_HOST`. 9464 is the usual port for an SDK's Prometheus
    exporter; `none` turns it off."""

    metrics_host: str = "127.0.0.1"
    """Address the metrics-only endpoints listen on: the Temporal SDK's, and `headwind
    worker`'s own `/metrics`. Loopback by default; in a pod set `0.0.0.0` so Prometheus can
    scrape them. (`headwind run` and `headwind api` serve `/metrics` with the API.)"""

    worker_metrics_port: Port | None = 9102
    """Port of `headwind worker`'s `/metrics` (a worker without the API has no other HTTP
    server); `none` turns it off."""

    worker_cached_workflows: int = Field(default=20, ge=1, le=10_000)
    """Workflows each of the process's two workers (updates, container slots) keeps in memory
    between their tasks. An update finishes in one or two tasks, so a small cache costs little
    replay and keeps the process small after a burst of updates (the workflow cache was most
    of what a burst left behind); raise it when many updates wait for approvals or timers and
    are signalled often."""

    # --- Metrics over time (the web UI's observability page) ---------------------------------

    metrics_backend: MetricsBackend = MetricsBackend.AUTO
    """`auto`, `none`, `prometheus`, `victoriametrics` or `influxdb`: the time-series database
    that scrapes (or receives) Headwind's metrics, for the charts of the web UI's
    observability page. `auto` asks the URL what it is; without a backend the page shows a
    live snapshot of this process's `/metrics`."""

    metrics_backend_url: str | None = None
    """Base URL of that backend (`http://prometheus:9090`, `http://victoria-metrics:8428`,
    `http://influxdb:8086`). Unset: no backend. It is logged and shown on the page, so it may
    not carry credentials: see `HEADWIND_METRICS_BACKEND_USERNAME`."""

    metrics_backend_database: str = "prometheus"
    """InfluxDB only: the database Prometheus `remote_write` writes Headwind's metrics to
    (`/api/v1/prom/write?db=<database>`); `prometheus` is the name InfluxDB's own guide
    uses."""

    metrics_backend_username: str | None = None
    """User name for HTTP basic auth at the backend (an InfluxDB user, or a proxy in front of
    Prometheus or VictoriaMetrics); unset sends no credentials."""

    metrics_backend_password: SecretStr | None = None
    """Password of `HEADWIND_METRICS_BACKEND_USERNAME` (never logged or shown)."""

    metrics_backend_timeout: durations.Duration = Field(
        default=timedelta(seconds=5), gt=timedelta(0), le=timedelta(minutes=1)
    )
    """Deadline of each call to the backend (the probe at start, every query), in seconds
    or as a duration; a page whose backend is slower shows the live snapshot instead of
    waiting. At most a minute."""

    # --- Kubernetes -----------------------------------------------------------------------

    kubeconfig: Path | None = None
    """kubeconfig file to use. Unset: the in-cluster service account when running in a pod,
    else the usual `$KUBECONFIG` / `~/.kube/config` loading."""

    kube_context: str | None = None
    """kubeconfig context to use; unset uses the file's current context."""

    watch_namespaces: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated namespaces to watch (`team-a,team-b`); empty watches the whole
    cluster. Scoping lets Headwind run with namespaced RBAC only."""

    leader_election_namespace: str | None = None
    """Namespace of the Lease that elects the replica doing once-per-cluster work (polling,
    bad-annotation Events). Unset: the pod's own namespace in a cluster, else `default`."""

    leader_election_lease: str = "headwind-leader"
    """Name of that Lease. Two Headwind installations in one cluster need different names."""

    # --- API and web UI -------------------------------------------------------------------

    api_host: str = "127.0.0.1"
    """Address the API, web UI, webhooks and `/metrics` listen on. Loopback by default so
    that a laptop setup with auth mode `none` is not reachable from the network; the
    manifests set `0.0.0.0`."""

    api_port: Port = 8080
    """Port of the API, web UI, webhooks and `/metrics`."""

    public_url: str | None = None
    """URL at which people reach Headwind (`https://headwind.example.com`), for links in
    notifications and approval links. Unset: `http://<api_host>:<api_port>`."""

    ui_auth_mode: AuthMode = AuthMode.NONE
    """`none`, `simple`, `token` or `proxy` (see docs/configuration.md). `none` keeps the
    embedded quick start working; anything reachable by others needs another mode."""

    ui_auth_proxy_header: str = "X-Forwarded-User"
    """Header carrying the user name in `proxy` mode; oauth2-proxy and most ingress auth
    set `X-Forwarded-User`. Headwind must then be reachable only through that proxy."""

    ui_auth_proxy_groups_header: str = "X-Forwarded-Groups"
    """Header carrying the user's groups (comma-separated) in `proxy` mode; they are recorded
    in audit records."""

    ui_auth_allow_insecure: bool = False
    """Allow auth mode `none` on an address other than loopback. Off: Headwind refuses to
    start the API in `none` mode on such an address, because anyone who reaches it could
    approve."""

    # --- Detection ------------------------------------------------------------------------

    polling_enabled: bool = True
    """Poll registries for workloads whose `headwind.sh/event-source` is `polling` or
    `both`. Off: only webhooks detect new images."""

    polling_interval: durations.Duration = Field(default=timedelta(minutes=5), gt=timedelta(0))
    """Default time between two scans of one repository, in seconds or as a duration
    (`5m`); a workload may set its own with `headwind.sh/polling-interval`. Five minutes
    stays well inside Docker Hub's anonymous rate limit for a few hundred repositories."""

    registry_insecure: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated registries polled over plain http (`registry.lan:5000`, or a host for
    every port), besides loopback, which always is. Everything else is https, so credentials
    never cross a network in clear text by accident."""

    registry_tags_page_size: int | None = Field(default=None, gt=0)
    """Tags asked for per page (`n=`) when listing a repository's tags; unset lets each
    registry choose. Pages are always followed to the end (`Link` headers)."""

    webhook_max_body_bytes: int = Field(default=1_048_576, gt=0)
    """Largest webhook body accepted, in bytes (default 1 MiB); larger bodies get 413 before
    they are parsed. Real payloads are a few KiB; Distribution batches stay far below."""

    webhook_allow_unauthenticated: bool = False
    """Accept webhooks from a source that has no secret configured. Off, such a source is
    refused with 401, so a forgotten secret fails loudly instead of opening a door."""

    webhook_token: SecretStr | None = None
    """Shared token of the native JSON webhook (`Authorization: Bearer`, or the key of an
    `X-Headwind-Signature` HMAC), and the fallback for every source below whose own secret
    is unset (docs/webhooks.md)."""

    webhook_dockerhub_token: SecretStr | None = None
    """Token expected in the `?token=` query of Docker Hub webhook URLs (Docker Hub cannot
    sign or add headers)."""

    webhook_registry_token: SecretStr | None = None
    """Bearer token of CNCF Distribution notifications (set it as an `Authorization` header
    in the registry's `notifications.endpoints[].headers`); also GitLab's registry."""

    webhook_harbor_secret: SecretStr | None = None
    """Harbor's webhook "Auth Header" value, expected in `Authorization`."""

    webhook_github_secret: SecretStr | None = None
    """GitHub webhook secret; `X-Hub-Signature-256` (HMAC-SHA256) is verified with it."""

    webhook_quay_token: SecretStr | None = None
    """Token expected in the `?token=` query of Quay notification URLs, or as the basic-auth
    password of the URL (`https://quay:<token>@…`)."""

    webhook_acr_token: SecretStr | None = None
    """Azure Container Registry: token expected in the `Authorization` custom header."""

    webhook_gar_token: SecretStr | None = None
    """Google Artifact Registry via Pub/Sub push: token expected in the `?token=` query."""

    webhook_artifactory_secret: SecretStr | None = None
    """JFrog Artifactory webhook secret; `X-JFrog-Event-Auth` must carry it, or its
    HMAC-SHA256 of the body when "use secret for payload signing" is on."""

    webhook_artifactory_registry: str | None = None
    """How Artifactory's Docker images are pulled, as a prefix where `{repo_key}` stands for
    the repository key: `{repo_key}.acme.jfrog.io` (subdomain method) or
    `docker.acme.com/{repo_key}`. Unset: `<host of jpd_origin>/{repo_key}` (the repository
    path method)."""

    webhook_ecr_token: SecretStr | None = None
    """AWS ECR via an EventBridge API destination: token expected in `Authorization` or
    `x-api-key` (the connection's API key authorization)."""

    # --- Notifications --------------------------------------------------------------------

    slack_bot_token: SecretStr | None = None
    """Slack bot token (`xoxb-…`); unset disables Slack notifications."""

    slack_signing_secret: SecretStr | None = None
    """Slack app signing secret, to verify button clicks on the interactivity endpoint."""

    slack_channel: str | None = None
    """Slack channel (name or ID) that receives notifications; a workload may choose another
    with `headwind.sh/slack-channel` or `headwind.sh/notify` (docs/notifications.md)."""

    slack_approvers: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated Slack user IDs (`U…`, `W…`) and user-group IDs (`S…`) allowed to
    approve or reject with the message buttons; empty allows everyone in the channel. Groups
    need the `usergroups:read` scope."""

    slack_api_url: str | None = None
    """Base URL of the Slack Web API. Only for tests, which point it at a local stand-in;
    unset is `https://slack.com/api/`."""

    teams_webhook_url: SecretStr | None = None
    """Microsoft Teams incoming-webhook URL (it embeds its own secret, hence hidden)."""

    notify_webhook_url: str | None = None
    """URL that receives every notification as JSON; unset disables it."""

    notify_webhook_secret: SecretStr | None = None
    """Key of the `X-Headwind-Signature: sha256=<hex>` HMAC on generic notifications."""

    approval_link_secret: SecretStr | None = None
    """Key that signs approval links in notifications. Unset: links are not offered, because
    a key generated per process would break links across replicas and restarts."""

    approval_link_ttl: durations.Duration = Field(default=timedelta(hours=1), gt=timedelta(0))
    """How long a signed approval link stays valid (default 1h): long enough to read a
    message, short enough that a forwarded link soon stops working."""

    # --- Logging and the dev environment ----------------------------------------------------

    log_level: LogLevel = LogLevel.INFO
    """`debug`, `info`, `warning` or `error`, any case."""

    log_format: LogFormat = LogFormat.TEXT
    """`text` for people, `json` for log collectors (the manifests set `json`). Audit
    records of approvals, rejections and rollbacks are JSON either way."""

    @field_validator("watch_namespaces", "registry_insecure", "slack_approvers", mode="before")
    @classmethod
    def _split_namespaces(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("watch_namespaces")
    @classmethod
    def _namespaces_are_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in value if not _NAMESPACE.fullmatch(name)]
        if bad:
            raise ValueError(f"not namespace names: {', '.join(map(repr, bad))}")
        return tuple(dict.fromkeys(value))

    @field_validator("slack_approvers")
    @classmethod
    def _slack_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [item for item in value if not _SLACK_ID.fullmatch(item)]
        if bad:
            raise ValueError(f"not Slack user or user-group IDs: {', '.join(map(repr, bad))}")
        return tuple(dict.fromkeys(value))

    @field_validator("leader_election_namespace")
    @classmethod
    def _lease_namespace(cls, value: str | None) -> str | None:
        if value is not None and not _NAMESPACE.fullmatch(value):
            raise ValueError(f"{value!r} is not a namespace name")
        return value

    @field_validator("leader_election_lease")
    @classmethod
    def _lease_name(cls, value: str) -> str:
        if not _NAMESPACE.fullmatch(value):
            raise ValueError(f"{value!r} is not a Lease name (lower case, digits, '-')")
        return value

    @field_validator("registry_insecure")
    @classmethod
    def _registry_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        hosts = tuple(dict.fromkeys(host.lower() for host in value))
        bad = [host for host in hosts if not _REGISTRY_HOST.fullmatch(host)]
        if bad:
            raise ValueError(f"not registry hosts (host or host:port): {', '.join(map(repr, bad))}")
        return hosts

    @field_validator("log_level", "log_format", "ui_auth_mode", "metrics_backend", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_backend", mode="before")
    @classmethod
    def _no_backend_is_a_choice(cls, value: Any) -> Any:
        # As for the auth mode: the environment's `none` arrives as None, and means "none".
        return MetricsBackend.NONE if value is None else value

    @field_validator("metrics_backend_url")
    @classmethod
    def _no_credentials_in_the_url(cls, value: str | None) -> str | None:
        # The URL is logged and shown on the observability page; a password in it would be too.
        if value is not None and "@" in value.split("://", 1)[-1].split("/", 1)[0]:
            raise ValueError(
                "put credentials in HEADWIND_METRICS_BACKEND_USERNAME and _PASSWORD, not in "
                "the URL (it is logged and shown in the web UI)"
            )
        return value

    @field_validator("metrics_backend_database")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if not value.strip() or any(ord(c) < 32 for c in value):
            raise ValueError("an InfluxDB database name must be printable and not empty")
        return value

    @field_validator("ui_auth_mode", mode="before")
    @classmethod
    def _none_is_a_mode(cls, value: Any) -> Any:
        # `env_parse_none_str` turns the word `none` into None before validation; for this
        # setting `none` is a value, not "unset".
        return AuthMode.NONE if value is None else value

    @field_validator("ui_auth_proxy_header", "ui_auth_proxy_groups_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if not _HEADER.fullmatch(value):
            raise ValueError(f"{value!r} is not an HTTP header name")
        return value

    @field_validator(
        "temporal_ui_url",
        "public_url",
        "notify_webhook_url",
        "slack_api_url",
        "metrics_backend_url",
    )
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not _URL.fullmatch(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/") if value is not None else None

    @model_validator(mode="after")
    def _certificate_pairs(self) -> Self:
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError(
                "HEADWIND_TEMPORAL_TLS_CERT and HEADWIND_TEMPORAL_TLS_KEY must be set together"
            )
        return self

    @model_validator(mode="after")
    def _metrics_backend_has_a_url(self) -> Self:
        named = self.metrics_backend not in (MetricsBackend.AUTO, MetricsBackend.NONE)
        if named and self.metrics_backend_url is None:
            raise ValueError(
                f"HEADWIND_METRICS_BACKEND={self.metrics_backend.value} needs "
                "HEADWIND_METRICS_BACKEND_URL"
            )
        if self.metrics_backend_password is not None and self.metrics_backend_username is None:
            raise ValueError(
                "HEADWIND_METRICS_BACKEND_PASSWORD needs HEADWIND_METRICS_BACKEND_USERNAME"
            )
        return self

    @property
    def temporal_uses_tls(self) -> bool:
        """Whether to connect to Temporal over TLS (explicitly, or implied by credentials)."""
        return self.temporal_tls or any(
            value is not None
            for value in (
                self.temporal_tls_cert,
                self.temporal_tls_ca,
                self.temporal_api_key,
            )
        )

    @property
    def base_url(self) -> str:
        """Where people reach Headwind: `public_url`, else the address it listens on."""
        return self.public_url or f"http://{self.api_host}:{self.api_port}"


def get_settings() -> Settings:
    """Read the settings from the environment; raise `SettingsError` naming bad variables."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None


def check_api_exposure(settings: Settings) -> None:
    """Refuse auth mode `none` on a non-loopback address unless explicitly allowed."""
    if settings.ui_auth_mode is not AuthMode.NONE or settings.ui_auth_allow_insecure:
        return
    if _is_loopback(settings.api_host):
        return
    raise SettingsError(
        f"HEADWIND_UI_AUTH_MODE=none lets anyone who reaches {settings.api_host!r} approve, "
        "reject and roll back as an anonymous user: listen on loopback "
        "(HEADWIND_API_HOST=127.0.0.1), choose another HEADWIND_UI_AUTH_MODE (simple, proxy, "
        "token), or set HEADWIND_UI_AUTH_ALLOW_INSECURE=true to accept that"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def env_name(field: str) -> str:
    """The environment variable of a settings field (`api_port` → `HEADWIND_API_PORT`)."""
    return f"{ENV_PREFIX}{field.upper()}"


NOT_YET_ACTIVE: frozenset[str] = frozenset()
"""Settings that are parsed and validated but not read yet: the reference table says so, so
nobody configures a feature that is not there. A setting leaves this set with its code."""


def reference_table() -> str:
    """The Markdown table of every setting, as `docs/configuration.md` carries it."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = _show_default(field.default)
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        if name in NOT_YET_ACTIVE:
            meaning = f"**Not yet active** (read by nothing yet). {meaning}"
        lines.append(f"| `{env_name(name)}` | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


def _show_default(value: Any) -> str:
    if value is None or value == ():
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, timedelta):
        return f"`{durations.to_text(value)}`"
    if isinstance(value, StrEnum):
        return f"`{value.value}`"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1024 * 1024:
        return f"`{value}` ({value // (1024 * 1024)} MiB)"
    return f"`{value}`"


def _describe(error: ValidationError) -> str:
    secret = {
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }
    messages = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        variable = env_name(field) if field else "settings"
        shown = "" if field in secret or not field else f"={_show_input(item['input'])}"
        messages.append(f"{variable}{shown}: {item['msg']}")
    return "invalid Headwind settings: " + "; ".join(messages)


def _show_input(value: Any) -> str:
    # Durations are parsed before they are range-checked; show them as a person wrote them.
    if isinstance(value, timedelta):
        return repr(durations.to_text(value))
    # A URL's `user:password@` stays out of error messages, as secrets do.
    return repr(_USERINFO.sub("…@", value) if isinstance(value, str) else value)


if __name__ == "__main__":
    print(reference_table(), end="")
