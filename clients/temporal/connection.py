"""Connecting to Temporal with Headwind's settings and data converter.

Every process (worker, API, CLI) connects the same way: pydantic models on the wire, TLS or an
API key for Temporal Cloud when configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from headwind.settings import Settings

__all__ = ["connect", "tracing_enabled"]


def _tls(settings: Settings) -> TLSConfig | bool:
    files = (settings.temporal_tls_cert, settings.temporal_tls_key, settings.temporal_tls_ca)
    if not settings.temporal_tls and not any(files):
        return False
    return TLSConfig(
        client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
        client_private_key=(
            settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None
        ),
        server_root_ca_cert=(
            settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None
        ),
        domain=settings.temporal_tls_server_name,
    )


def tracing_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """OpenTelemetry tracing is on when an OTLP endpoint is configured the standard way
    (`OTEL_EXPORTER_OTLP_ENDPOINT` or `…_TRACES_ENDPOINT`) and not turned off
    (`OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


async def connect(settings: Settings) -> Client:
    """A client for the configured address and namespace.

    With tracing on, Temporal's tracing interceptor joins each workflow and activity to the
    trace of whatever started it (a webhook, a REST call); a worker built on this client uses
    it too.
    """
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    tls = _tls(settings)
    interceptors: list[Interceptor] = []
    if tracing_enabled():
        # Imported only then: OpenTelemetry is not loaded into a process that does not trace.
        from temporalio.contrib.opentelemetry import TracingInterceptor

        interceptors.append(TracingInterceptor())
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        # An API key needs TLS; a CA or server name configured with it still applies.
        tls=tls if tls is not False or api_key is None else True,
        api_key=api_key,
        interceptors=interceptors,
    )
