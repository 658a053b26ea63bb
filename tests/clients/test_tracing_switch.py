"""Tracing is on exactly when the standard OpenTelemetry variables say so."""

from __future__ import annotations

import pytest

from clients.temporal.connection import tracing_enabled

ENDPOINT = "http://collector:4318"


@pytest.mark.parametrize(
    ("environ", "enabled"),
    [
        pytest.param({}, False, id="nothing set: off"),
        pytest.param({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, True, id="endpoint"),
        pytest.param({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ENDPOINT}, True, id="traces endpoint"),
        pytest.param(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_SDK_DISABLED": "TRUE"},
            False,
            id="sdk disabled",
        ),
        pytest.param(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_TRACES_EXPORTER": "none"},
            False,
            id="traces exporter none",
        ),
    ],
)
def test_tracing_switch(environ: dict[str, str], enabled: bool) -> None:
    assert tracing_enabled(environ) is enabled
