"""`headwind dev push`: push a small synthetic image to a registry through the OCI API.

The local environment and the tests need images that exist in a real registry, with real
digests, without Docker and without the internet. A synthetic image is one gzip tar layer
holding a text file plus a valid OCI image config; with several platforms, one manifest per
platform and an OCI image index over them, like a real multi-arch build.

Content is deterministic: the same repository, tag, platform and salt always give the same
digest, and a different tag gives a different one. `--salt` (or `--random`) changes the
digest of an existing tag, which is what a `force` update must notice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import io
import json
import os
import secrets
import tarfile
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import typer

from clients import oci
from headwind import images

from . import settings as dev_settings
from . import uploading

__all__ = [
    "Blob",
    "Platform",
    "PlatformImage",
    "SyntheticImage",
    "build_image",
    "canonical_json",
    "client_settings",
    "credentials_from",
    "deterministic_tgz",
    "dev_registry",
    "parse_platforms",
    "push_command",
    "push_image",
    "resolve_target",
]

LAYER_PATH = "headwind-synthetic.txt"
"""The one file in a synthetic image's layer."""


@dataclass(frozen=True)
class Platform:
    """`linux/arm64/v8` as its parts."""

    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        parts = [self.os, self.architecture] + ([self.variant] if self.variant else [])
        return "/".join(parts)

    def as_json(self) -> dict[str, str]:
        """The `platform` object of an index entry (and the same keys of an image config)."""
        body = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            body["variant"] = self.variant
        return body


@dataclass(frozen=True)
class Blob:
    """Bytes to push and their descriptor."""

    descriptor: oci.Descriptor
    data: bytes

    @classmethod
    def of(cls, data: bytes, media_type: str) -> Blob:
        return cls(oci.Descriptor(media_type, oci.sha256_digest(data), len(data)), data)


@dataclass(frozen=True)
class PlatformImage:
    """One platform's image: config, layer and the manifest over them."""

    platform: Platform
    config: Blob
    layer: Blob
    manifest: Blob


@dataclass(frozen=True)
class SyntheticImage:
    """Everything to push for one tag; `top` is what the tag points at."""

    platforms: tuple[PlatformImage, ...]
    index: Blob | None
    """An OCI image index when there are several platforms, else None."""

    @property
    def top(self) -> Blob:
        return self.index if self.index is not None else self.platforms[0].manifest


def parse_platforms(text: str) -> tuple[Platform, ...]:
    """`linux/amd64,linux/arm64/v8` -> platforms, in order, without duplicates."""
    platforms: list[Platform] = []
    for item in (part.strip() for part in text.split(",")):
        parts = item.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform {item!r}: expected OS/ARCH or OS/ARCH/VARIANT")
        platform = Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
        if platform not in platforms:
            platforms.append(platform)
    return tuple(platforms)


def canonical_json(value: Any) -> bytes:
    """Stable JSON bytes: the same object always gives the same digest."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def deterministic_tgz(files: dict[str, bytes]) -> tuple[bytes, bytes]:
    """A gzip tar of `files` with fixed times and owners; (gzip bytes, tar bytes).

    Fixed metadata makes the digest a function of the content alone.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size = len(files[path])
            info.mode = 0o644
            info.mtime = 0
            archive.addfile(info, io.BytesIO(files[path]))
    tar = buffer.getvalue()
    return gzip.compress(tar, mtime=0), tar


def build_image(
    repository: str, tag: str, platforms: tuple[Platform, ...], *, salt: str = ""
) -> SyntheticImage:
    """The synthetic image for `repository:tag` (pure: nothing is pushed)."""
    if not platforms:
        raise ValueError("at least one platform is needed")
    built = tuple(_platform_image(repository, tag, p, salt) for p in platforms)
    if len(built) == 1:
        return SyntheticImage(built, None)
    index = {
        "schemaVersion": 2,
        "mediaType": oci.mediatypes.OCI_INDEX,
        "manifests": [
            {**image.manifest.descriptor.as_json(), "platform": image.platform.as_json()}
            for image in built
        ],
    }
    return SyntheticImage(built, Blob.of(canonical_json(index), oci.mediatypes.OCI_INDEX))


def _platform_image(repository: str, tag: str, platform: Platform, salt: str) -> PlatformImage:
    text = f"repository: {repository}\ntag: {tag}\nplatform: {platform}\nsalt: {salt}\n"
    compressed, tar = deterministic_tgz({LAYER_PATH: text.encode()})
    layer = Blob.of(compressed, oci.mediatypes.OCI_LAYER_GZIP)
    config = {
        **platform.as_json(),
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "Cmd": ["/bin/true"],
            "Labels": {"org.opencontainers.image.version": tag, "sh.headwind.synthetic": "true"},
        },
        "rootfs": {"type": "layers", "diff_ids": [oci.sha256_digest(tar)]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "headwind dev push"}],
    }
    config_blob = Blob.of(canonical_json(config), oci.mediatypes.OCI_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": oci.mediatypes.OCI_MANIFEST,
        "config": config_blob.descriptor.as_json(),
        "layers": [layer.descriptor.as_json()],
    }
    return PlatformImage(
        platform, config_blob, layer, Blob.of(canonical_json(manifest), oci.mediatypes.OCI_MANIFEST)
    )


async def push_image(
    client: uploading.RegistryPusher,
    registry: str,
    repository: str,
    tag: str,
    image: SyntheticImage,
    *,
    credentials: oci.Credentials | None = None,
) -> oci.Descriptor:
    """Push blobs, then manifests, then the index: registries check references exist."""
    for platform_image in image.platforms:
        for blob in (platform_image.config, platform_image.layer):
            await client.push_blob(
                registry,
                repository,
                blob.data,
                media_type=blob.descriptor.media_type,
                credentials=credentials,
            )
        manifest = platform_image.manifest
        # With an index, platform manifests are stored by digest only; the tag names the index.
        reference = tag if image.index is None else manifest.descriptor.digest
        await client.put_manifest(
            registry,
            repository,
            reference,
            manifest.data,
            media_type=manifest.descriptor.media_type,
            credentials=credentials,
        )
    if image.index is None:
        return image.top.descriptor
    return await client.put_manifest(
        registry,
        repository,
        tag,
        image.index.data,
        media_type=oci.mediatypes.OCI_INDEX,
        credentials=credentials,
    )


def dev_registry(environ: dict[str, str] | None = None) -> str:
    """`127.0.0.1:<port>` of the local environment's anonymous registry.

    The port is the one the last `headwind dev up` resolved (its `env.json`), else the
    configured default, so `push team/app:1.0` goes to the registry `dev up` started.
    """
    environ = dict(os.environ) if environ is None else environ
    layout = dev_settings.Layout(dev_settings.default_state_dir(environ))
    if layout.env_file.is_file():
        resolved = dev_settings.DevSettings.from_json(json.loads(layout.env_file.read_text()))
        return f"127.0.0.1:{resolved.ports.registry}"
    return f"127.0.0.1:{dev_settings.Ports.from_env(environ, {}).registry}"


def resolve_target(reference: str, registry: str | None) -> tuple[str, str, str, bool | None]:
    """(registry, repository, tag, insecure) for `REPO:TAG` and an optional `--registry`.

    A reference that names its registry (`localhost:5000/team/app:1.0`) is pushed there; one
    that does not (`team/app:1.0`) goes to `--registry`, else to the dev environment's
    registry, never to Docker Hub. `--registry` may be a URL: its scheme then decides http
    or https (`insecure`), otherwise the client's loopback rule does (None).
    """
    ref = images.parse(reference)
    if ref.digest is not None:
        raise ValueError(f"{reference!r}: push to a tag, not a digest")
    tag = ref.tag or images.DEFAULT_TAG
    first = ref.written_name.split("/", 1)[0].lower()
    names_registry = ref.registry != images.DEFAULT_REGISTRY or first in images.DOCKER_HUB_ALIASES
    if names_registry:
        if registry is not None:
            raise ValueError(f"{reference!r} already names registry {ref.registry}")
        return ref.registry, ref.repository, tag, None
    insecure: bool | None = None
    target = registry or dev_registry()
    if "://" in target:
        url = httpx.URL(target)
        insecure = url.scheme == "http"
        target = url.netloc.decode("ascii")
    return target.lower(), ref.written_name, tag, insecure


def client_settings(registry: str, insecure: bool | None) -> oci.OciSettings:
    """Settings that reach `registry` over http when its URL said so."""
    base = oci.OciSettings(max_retries=2)
    if insecure:
        return dataclasses.replace(base, insecure_registries=base.insecure_registries | {registry})
    return base


def credentials_from(username: str | None, password: str | None) -> oci.Credentials | None:
    if username is None and password is None:
        return None
    if not username or password is None:
        raise typer.BadParameter("give both --username and --password (or neither)")
    return oci.Credentials(username, password)


def push_command(
    reference: Annotated[
        str,
        typer.Argument(metavar="REPO:TAG", help="Target, e.g. team/app:1.0 or host:5000/app:1.0"),
    ],
    platforms: Annotated[
        str,
        typer.Option(
            help="Comma-separated OS/ARCH or OS/ARCH/VARIANT; several make an image index."
        ),
    ] = "linux/amd64",
    registry: Annotated[
        str | None,
        typer.Option(
            help="Registry host:port or URL when REPO names none (default: the dev registry)."
        ),
    ] = None,
    salt: Annotated[
        str, typer.Option(help="Extra layer content: same tag, new digest (for `force` tests).")
    ] = "",
    random_salt: Annotated[
        bool, typer.Option("--random", help="Use a random salt: a new digest on every push.")
    ] = False,
    username: Annotated[
        str | None, typer.Option(envvar="HEADWIND_REGISTRY_USERNAME", help="Registry user.")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(envvar="HEADWIND_REGISTRY_PASSWORD", help="Registry password or token."),
    ] = None,
) -> None:
    """Push a small synthetic image and print its digest (the index digest if multi-platform)."""
    try:
        target, repository, tag, insecure = resolve_target(reference, registry)
        wanted = parse_platforms(platforms)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    credentials = credentials_from(username, password)
    if random_salt:
        salt = secrets.token_hex(8)
    image = build_image(repository, tag, wanted, salt=salt)

    async def run() -> oci.Descriptor:
        async with httpx.AsyncClient(timeout=30.0) as http:
            client = uploading.RegistryPusher(http, client_settings(target, insecure))
            return await push_image(client, target, repository, tag, image, credentials=credentials)

    try:
        pushed = asyncio.run(run())
    except oci.RegistryError as error:
        typer.echo(f"push failed: {error}", err=True)
        raise typer.Exit(1) from error
    kind = f"index of {len(wanted)} platforms" if image.index else str(wanted[0])
    typer.echo(f"pushed {target}/{repository}:{tag} ({kind})", err=True)
    typer.echo(pushed.digest)
