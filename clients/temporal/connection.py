"""Connecting to Temporal with Headwind's settings and data converter.

Every process (worker, API, CLI) connects the same way: pydantic models on the wire, TLS or an
API key for Temporal Cloud when configured.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from headwind.settings import Settings

__all__ = ["connect"]


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


async def connect(settings: Settings) -> Client:
    """A client for the configured address and namespace."""
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=_tls(settings) if api_key is None else True,
        api_key=api_key,
    )
