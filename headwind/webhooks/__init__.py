"""Registry webhooks, pure: from a vendor's payload to normalised pushed images, and who may
send them.

One module per sender turns its documented payload into `PushedImage`s (`dockerhub`,
`distribution`, `harbor`, `github`, `quay`, `acr`, `gar`, `artifactory`, `ecr`, `native`);
`auth` decides whether a request proves the source's secret; `sources` lists the senders.
This facade is what the API calls: `parse(source, payload, context)`.

Nothing here does I/O or imports a framework: the API reads the body, checks its size and
decodes the JSON; these functions decide what it means.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwind.webhooks import (
    acr,
    artifactory,
    distribution,
    dockerhub,
    ecr,
    gar,
    github,
    harbor,
    native,
    quay,
)
from headwind.webhooks.pushes import Context, PayloadError, PushedImage
from headwind.webhooks.sources import SPECS, Source, SourceSpec, lookup

__all__ = [
    "SPECS",
    "Context",
    "PayloadError",
    "PushedImage",
    "Source",
    "SourceSpec",
    "lookup",
    "parse",
]

Parser = Callable[[Any, Context], list[PushedImage]]

_PARSERS: dict[Source, Parser] = {
    Source.DOCKERHUB: dockerhub.parse,
    Source.REGISTRY: distribution.parse,
    Source.HARBOR: harbor.parse,
    Source.GHCR: github.parse,
    Source.QUAY: quay.parse,
    Source.ACR: acr.parse,
    Source.GAR: gar.parse,
    Source.ARTIFACTORY: artifactory.parse,
    Source.ECR: ecr.parse,
    Source.NATIVE: native.parse,
}


def parse(source: Source, payload: Any, context: Context | None = None) -> list[PushedImage]:
    """The images a source's payload says were pushed (empty for events that are not pushes).

    Raises `PayloadError`, naming the field, when the payload is not what the source documents.
    """
    return _PARSERS[source](payload, context or Context())
