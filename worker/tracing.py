"""OpenTelemetry tracing for a Headwind process, configured by the standard `OTEL_*` variables.

Off unless an OTLP endpoint is set (`clients.temporal.connection.tracing_enabled`). When on, one
trace follows an update from its door to the cluster: the FastAPI request (a webhook, a REST
call), the workflow start, the workflow and its activities (Temporal's tracing interceptor,
installed on the client by `clients.temporal.connect`), and the registry calls made with httpx.
The exporter, service name and sampling come from the environment, as OpenTelemetry defines.
The OpenTelemetry packages are imported only when tracing is on: a process without it does not
carry them.
"""

from __future__ import annotations

import logging
import os

from clients.temporal.connection import tracing_enabled

__all__ = ["configure"]

log = logging.getLogger(__name__)


def configure() -> bool:
    """Install the tracer provider and the instrumentations; False when tracing is off."""
    if not tracing_enabled():
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = os.environ.get("OTEL_SERVICE_NAME", "headwind")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    log.info("OpenTelemetry tracing to %s", os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "?"))
    return True
