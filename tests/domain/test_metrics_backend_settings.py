"""The metrics backend settings: what each combination means, and what is refused at start."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest

from headwind import settings
from headwind.settings import MetricsBackend


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(settings.ENV_PREFIX):
            monkeypatch.delenv(name)


def _read(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> settings.Settings:
    for name, value in variables.items():
        monkeypatch.setenv(settings.ENV_PREFIX + name, value)
    return settings.get_settings()


VALID = [
    pytest.param({}, "metrics_backend", MetricsBackend.AUTO, id="default-is-auto"),
    pytest.param({}, "metrics_backend_url", None, id="default-no-url"),
    pytest.param({"METRICS_BACKEND_URL": "http://prometheus:9090/"}, "metrics_backend_url",
                 "http://prometheus:9090", id="url-trailing-slash"),
    pytest.param({"METRICS_BACKEND": "none", "METRICS_BACKEND_URL": "http://p:9090"},
                 "metrics_backend", MetricsBackend.NONE, id="none-with-a-url"),
    pytest.param({"METRICS_BACKEND": " InfluxDB ", "METRICS_BACKEND_URL": "http://i:8086"},
                 "metrics_backend", MetricsBackend.INFLUXDB, id="any-case-and-spaces"),
    pytest.param({}, "metrics_backend_database", "prometheus", id="default-database"),
    pytest.param({"METRICS_BACKEND_DATABASE": "ops"}, "metrics_backend_database", "ops",
                 id="database"),
    pytest.param({}, "metrics_backend_timeout", timedelta(seconds=5), id="default-timeout"),
    pytest.param({"METRICS_BACKEND_TIMEOUT": "2"}, "metrics_backend_timeout",
                 timedelta(seconds=2), id="timeout-seconds"),
    pytest.param({"METRICS_BACKEND_TIMEOUT": "1m"}, "metrics_backend_timeout",
                 timedelta(minutes=1), id="timeout-a-minute"),
    pytest.param({"METRICS_BACKEND_USERNAME": "reader"}, "metrics_backend_username", "reader",
                 id="username-alone"),
]  # fmt: skip


@pytest.mark.parametrize(("variables", "field", "expected"), VALID)
def test_valid(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], field: str, expected: Any
) -> None:
    assert getattr(_read(monkeypatch, variables), field) == expected


INVALID = [
    pytest.param({"METRICS_BACKEND": "graphite"}, "HEADWIND_METRICS_BACKEND='graphite'",
                 id="unknown-backend"),
    pytest.param({"METRICS_BACKEND": "prometheus"}, "needs HEADWIND_METRICS_BACKEND_URL",
                 id="named-without-url"),
    pytest.param({"METRICS_BACKEND_URL": "prometheus:9090"}, "not an http(s) URL",
                 id="url-without-scheme"),
    pytest.param({"METRICS_BACKEND_URL": "http://reader:s3cret@influxdb:8086"},
                 "not in the URL", id="credentials-in-the-url"),
    pytest.param({"METRICS_BACKEND_PASSWORD": "pw"}, "needs HEADWIND_METRICS_BACKEND_USERNAME",
                 id="password-without-user"),
    pytest.param({"METRICS_BACKEND_TIMEOUT": "0"}, "HEADWIND_METRICS_BACKEND_TIMEOUT",
                 id="timeout-zero"),
    pytest.param({"METRICS_BACKEND_TIMEOUT": "5m"}, "HEADWIND_METRICS_BACKEND_TIMEOUT",
                 id="timeout-over-a-minute"),
    pytest.param({"METRICS_BACKEND_DATABASE": " "}, "HEADWIND_METRICS_BACKEND_DATABASE",
                 id="blank-database"),
]  # fmt: skip


@pytest.mark.parametrize(("variables", "message"), INVALID)
def test_invalid(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str) -> None:
    with pytest.raises(
        settings.SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        _read(monkeypatch, variables)


def test_an_at_sign_in_the_path_is_no_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://proxy:8080/prometheus/@team"
    assert _read(monkeypatch, {"METRICS_BACKEND_URL": url}).metrics_backend_url == url


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"METRICS_BACKEND_PASSWORD": "s3cret"}, id="password-setting"),
        pytest.param({"METRICS_BACKEND_URL": "http://reader:s3cret@influxdb:8086"},
                     id="password-in-the-url"),
    ],
)  # fmt: skip
def test_the_password_is_never_echoed(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    with pytest.raises(settings.SettingsError) as error:
        _read(monkeypatch, variables)
    assert "s3cret" not in str(error.value)
