"""OCI Distribution API client, read path: tag lists and manifest digests, for any registry.

The facade of the package; import it as a namespace and qualify at the call site::

    from clients import oci

    client = oci.RegistryClient(http, oci.OciSettings(), on_response=count_request)
    tags = await client.list_tags("ghcr.io", "team/app", credentials=creds)

Modules, bottom up: `settings` (tunables), `errors` (exception hierarchy), `mediatypes`,
`digests`, `names` (repository and reference grammar), `endpoints` (http or https, Docker
Hub's API host), `challenges` (`WWW-Authenticate`), `auth` (credentials, token cache),
`dockerconfig` (credentials from imagePullSecrets), `retrying` (429/`Retry-After`),
`responses` (answer -> exception), `session` (one authenticated, retried, limited request),
`client` (the operations). The operator never writes to a registry; pushing is the local
environment's (`headwind_dev.uploading`), on the client's `session`.
"""

from __future__ import annotations

from . import mediatypes
from .auth import Credentials
from .client import RegistryClient
from .digests import is_digest, sha256_digest
from .dockerconfig import (
    DockerConfigError,
    RegistryCredential,
    find_credentials,
    parse_docker_config,
)
from .endpoints import api_base_url, is_insecure
from .errors import (
    AccessDeniedError,
    AuthenticationError,
    DigestMismatchError,
    NotFoundError,
    RateLimitedError,
    RegistryError,
    RegistryProtocolError,
    RegistryResponseError,
    RegistryServerError,
    RegistryUnreachableError,
)
from .models import Descriptor, Manifest
from .names import check_reference, check_repository
from .session import ResponseHook
from .settings import DEFAULT_INSECURE_REGISTRIES, OciSettings

__all__ = [
    "DEFAULT_INSECURE_REGISTRIES",
    "AccessDeniedError",
    "AuthenticationError",
    "Credentials",
    "Descriptor",
    "DigestMismatchError",
    "DockerConfigError",
    "Manifest",
    "NotFoundError",
    "OciSettings",
    "RateLimitedError",
    "RegistryClient",
    "RegistryCredential",
    "RegistryError",
    "RegistryProtocolError",
    "RegistryResponseError",
    "RegistryServerError",
    "RegistryUnreachableError",
    "ResponseHook",
    "api_base_url",
    "check_reference",
    "check_repository",
    "find_credentials",
    "is_digest",
    "is_insecure",
    "mediatypes",
    "parse_docker_config",
    "sha256_digest",
]
