"""Every value of every enumerated setting starts Headwind, written as documented or in capitals.

`none` is special: the environment's `none` means "unset" for optional settings, but for
`HEADWIND_UI_AUTH_MODE` it is the documented default, and for `HEADWIND_METRICS_BACKEND` a
choice, so writing it out must work too.
"""

from __future__ import annotations

import os
from enum import StrEnum

import pytest

from headwind import settings
from headwind.settings import (
    AuthMode,
    LogFormat,
    LogLevel,
    MetricsBackend,
    Settings,
    SettingsError,
)

ENUMERATED: dict[str, type[StrEnum]] = {
    "ui_auth_mode": AuthMode,
    "log_level": LogLevel,
    "log_format": LogFormat,
    "metrics_backend": MetricsBackend,
}

COMPANIONS: dict[str, dict[str, str]] = {
    "metrics_backend": {"HEADWIND_METRICS_BACKEND_URL": "http://metrics.example:9090"},
}
"""Other variables some values need beside them (a named backend needs its URL)."""

CASES = [
    pytest.param(field, member, written, id=f"{field}={written}")
    for field, enum in ENUMERATED.items()
    for member in enum
    for written in (member.value, member.value.upper())
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(settings.ENV_PREFIX):
            monkeypatch.delenv(name)


def test_every_enumerated_setting_is_listed_here() -> None:
    enumerated = {
        name
        for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, StrEnum)
    }
    assert enumerated == set(ENUMERATED)


@pytest.mark.parametrize(("field", "member", "written"), CASES)
def test_every_value_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, field: str, member: StrEnum, written: str
) -> None:
    for name, value in COMPANIONS.get(field, {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(settings.env_name(field), written)
    assert getattr(settings.get_settings(), field) is member


EXPOSURE = [
    pytest.param("none", "127.0.0.1", False, None, id="none-on-loopback"),
    pytest.param("none", "::1", False, None, id="none-on-ipv6-loopback"),
    pytest.param("none", "localhost", False, None, id="none-on-localhost"),
    pytest.param("none", "0.0.0.0", False, "HEADWIND_UI_AUTH_ALLOW_INSECURE", id="none-on-all"),
    pytest.param("none", "10.1.2.3", False, "HEADWIND_UI_AUTH_ALLOW_INSECURE", id="none-on-ip"),
    pytest.param("none", "0.0.0.0", True, None, id="none-allowed-insecure"),
    pytest.param("simple", "0.0.0.0", False, None, id="simple-anywhere"),
    pytest.param("proxy", "0.0.0.0", False, None, id="proxy-anywhere"),
    pytest.param("token", "0.0.0.0", False, None, id="token-anywhere"),
]


@pytest.mark.parametrize(("mode", "host", "insecure", "refusal"), EXPOSURE)
def test_none_is_refused_off_loopback_unless_allowed(
    mode: str, host: str, insecure: bool, refusal: str | None
) -> None:
    configured = Settings(
        ui_auth_mode=AuthMode(mode), api_host=host, ui_auth_allow_insecure=insecure
    )
    if refusal is None:
        settings.check_api_exposure(configured)
        return
    with pytest.raises(SettingsError, match=refusal):
        settings.check_api_exposure(configured)
