"""`HEADWIND_*` settings: parsing from the environment, clear errors, and docs that stay true."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from headwind import settings
from headwind.settings import AuthMode, LogFormat, LogLevel

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the variables they set, whatever the developer's shell exports."""
    for name in list(os.environ):
        if name.upper().startswith(settings.ENV_PREFIX):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    config = settings.get_settings()
    assert config.temporal_address == "localhost:7233"
    assert config.temporal_namespace == "default"
    assert config.temporal_task_queue == "headwind"
    assert config.temporal_uses_tls is False
    assert config.kubeconfig is None
    assert config.watch_namespaces == ()
    assert (config.api_host, config.api_port) == ("127.0.0.1", 8080)
    assert config.base_url == "http://127.0.0.1:8080"
    assert config.ui_auth_mode is AuthMode.NONE
    assert config.polling_enabled is True
    assert config.polling_interval == timedelta(seconds=300)
    assert config.webhook_max_body_bytes == 1024 * 1024
    assert config.webhook_allow_unauthenticated is False
    assert config.log_level is LogLevel.INFO
    assert config.log_format is LogFormat.TEXT


def test_get_settings_builds_a_new_instance_each_call() -> None:
    assert settings.get_settings() is not settings.get_settings()


VALID = [
    pytest.param("TEMPORAL_ADDRESS", "temporal:7233", "temporal_address", "temporal:7233",
                 id="temporal-address"),
    pytest.param("TEMPORAL_TLS_CA", "/etc/ca.pem", "temporal_tls_ca", Path("/etc/ca.pem"),
                 id="tls-ca-path"),
    pytest.param("TEMPORAL_METRICS_PORT", "none", "temporal_metrics_port", None,
                 id="metrics-port-off"),
    pytest.param("TEMPORAL_METRICS_PORT", "9100", "temporal_metrics_port", 9100,
                 id="metrics-port"),
    pytest.param("WATCH_NAMESPACES", "team-a, team-b,,team-a", "watch_namespaces",
                 ("team-a", "team-b"), id="namespaces-comma-list"),
    pytest.param("WATCH_NAMESPACES", "prod", "watch_namespaces", ("prod",), id="one-namespace"),
    pytest.param("API_HOST", "0.0.0.0", "api_host", "0.0.0.0", id="api-host"),
    pytest.param("API_PORT", "9000", "api_port", 9000, id="api-port"),
    pytest.param("UI_AUTH_MODE", "Proxy", "ui_auth_mode", AuthMode.PROXY, id="auth-mode-any-case"),
    pytest.param("UI_AUTH_PROXY_HEADER", "X-Auth-Request-User", "ui_auth_proxy_header",
                 "X-Auth-Request-User", id="proxy-header"),
    pytest.param("POLLING_ENABLED", "false", "polling_enabled", False, id="polling-off"),
    pytest.param("POLLING_INTERVAL", "120", "polling_interval", timedelta(minutes=2),
                 id="polling-seconds"),
    pytest.param("POLLING_INTERVAL", "1h30m", "polling_interval", timedelta(minutes=90),
                 id="polling-duration"),
    pytest.param("WEBHOOK_MAX_BODY_BYTES", "2048", "webhook_max_body_bytes", 2048,
                 id="body-limit"),
    pytest.param("TEMPORAL_UI_URL", "http://localhost:8233/", "temporal_ui_url",
                 "http://localhost:8233", id="ui-url-trailing-slash"),
    pytest.param("LOG_LEVEL", "DEBUG", "log_level", LogLevel.DEBUG, id="log-level-upper"),
    pytest.param("LOG_FORMAT", "json", "log_format", LogFormat.JSON, id="log-format"),
    pytest.param("KUBECONFIG", "", "kubeconfig", None, id="empty-is-unset"),
]  # fmt: skip


@pytest.mark.parametrize(("variable", "value", "field", "expected"), VALID)
def test_reads_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: Any
) -> None:
    monkeypatch.setenv(settings.ENV_PREFIX + variable, value)
    assert getattr(settings.get_settings(), field) == expected


def test_lower_case_variable_names_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("headwind_api_port", "9001")
    assert settings.get_settings().api_port == 9001


def test_secrets_are_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWIND_WEBHOOK_GITHUB_SECRET", "s3cret")
    config = settings.get_settings()
    assert config.webhook_github_secret is not None
    assert config.webhook_github_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize(
    ("variables", "uses_tls"),
    [
        ({}, False),
        ({"TEMPORAL_TLS": "true"}, True),
        ({"TEMPORAL_API_KEY": "key"}, True),
        ({"TEMPORAL_TLS_CA": "/ca.pem"}, True),
        ({"TEMPORAL_TLS_CERT": "/c.pem", "TEMPORAL_TLS_KEY": "/k.pem"}, True),
    ],
    ids=["plain", "explicit", "api-key", "ca", "mutual"],
)
def test_tls_is_implied_by_credentials(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], uses_tls: bool
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(settings.ENV_PREFIX + name, value)
    assert settings.get_settings().temporal_uses_tls is uses_tls


INVALID = [
    pytest.param({"UI_AUTH_MODE": "basic"},
                 "HEADWIND_UI_AUTH_MODE='basic': Input should be 'none', 'simple', 'token' or "
                 "'proxy'", id="auth-mode"),
    pytest.param({"API_PORT": "99999"}, "HEADWIND_API_PORT='99999'", id="port-range"),
    pytest.param({"API_PORT": "http"}, "HEADWIND_API_PORT='http'", id="port-not-number"),
    pytest.param({"POLLING_INTERVAL": "0"}, "HEADWIND_POLLING_INTERVAL='0s'",
                 id="polling-zero"),
    pytest.param({"POLLING_INTERVAL": "5 minutes"}, "not a duration", id="polling-words"),
    pytest.param({"WATCH_NAMESPACES": "prod,Team_A"}, "not namespace names: 'Team_A'",
                 id="namespace-name"),
    pytest.param({"UI_AUTH_PROXY_HEADER": "X User"}, "not an HTTP header name",
                 id="proxy-header"),
    pytest.param({"TEMPORAL_UI_URL": "localhost:8233"}, "not an http(s) URL", id="ui-url"),
    pytest.param({"TEMPORAL_TLS_CERT": "/c.pem"}, "must be set together", id="cert-without-key"),
    pytest.param({"LOG_LEVEL": "verbose"}, "HEADWIND_LOG_LEVEL='verbose'", id="log-level"),
    pytest.param({"WEBHOOK_MAX_BODY_BYTES": "0"}, "greater than 0", id="body-limit"),
    pytest.param({"POLLING_ENABLED": "maybe"}, "HEADWIND_POLLING_ENABLED", id="boolean"),
]  # fmt: skip


@pytest.mark.parametrize(("variables", "message"), INVALID)
def test_invalid_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(settings.ENV_PREFIX + name, value)
    with pytest.raises(settings.SettingsError) as error:
        settings.get_settings()
    assert message in str(error.value)
    assert str(error.value).startswith("invalid Headwind settings: ")


def test_errors_never_echo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWIND_TEMPORAL_API_KEY", "s3cret")
    monkeypatch.setenv("HEADWIND_API_PORT", "nope")
    with pytest.raises(settings.SettingsError) as error:
        settings.get_settings()
    assert "s3cret" not in str(error.value)


def test_every_field_is_documented() -> None:
    undocumented = [
        name
        for name, field in settings.Settings.model_fields.items()
        if len((field.description or "").split()) < 4
    ]
    assert undocumented == []


def test_configuration_doc_carries_the_generated_table() -> None:
    """Regenerate with `python -m headwind.settings` and paste it into docs/configuration.md."""
    assert settings.reference_table() in DOCS.read_text()


def test_env_name() -> None:
    assert settings.env_name("ui_auth_mode") == "HEADWIND_UI_AUTH_MODE"
