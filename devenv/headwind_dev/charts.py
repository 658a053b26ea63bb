"""`headwind dev publish-chart`: publish a minimal Helm chart version, over HTTP or as OCI.

Helm discovery (docs/detection.md) reads chart versions from an HTTP repository's
`index.yaml` and from OCI registries. Tests and demos need to publish a newer version of a
chart to either, without the `helm` binary, so this module writes what Helm itself would:

- a chart archive `<name>-<version>.tgz` holding `<name>/Chart.yaml` (apiVersion v2),
  `values.yaml` and one template;
- for an HTTP repository: the archive in the served directory and an `index.yaml` merged
  with the new entry (apiVersion v1, entries by chart name, sha256 `digest`, `created`,
  relative `urls`, so the directory works at whatever URL serves it);
- for OCI: Helm's media types (config `application/vnd.cncf.helm.config.v1+json`, layer
  `application/vnd.cncf.helm.chart.content.v1.tar+gzip`) in an OCI image manifest, at
  `<registry>/<path>/<name>:<version>` with `+` written `_` (tags cannot hold `+`), exactly
  where `helm push <chart> oci://<registry>/<path>` puts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml

from clients import oci

from . import push, uploading
from . import settings as dev_settings

__all__ = [
    "build_chart",
    "chart_archive_name",
    "chart_metadata",
    "check_chart",
    "default_repo_dir",
    "index_entry",
    "merge_index",
    "oci_tag",
    "publish_chart_command",
    "publish_to_directory",
    "push_chart_oci",
    "split_oci_target",
]

_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
data:
  version: {{ .Chart.Version | quote }}
  appVersion: {{ .Chart.AppVersion | quote }}
  message: {{ .Values.message | quote }}
"""


_CHART_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Helm's advice for chart names, which also makes them valid OCI path components."""
_VERSION = re.compile(r"^[0-9A-Za-z.+_-]{1,128}$")


def check_chart(name: str, version: str) -> None:
    """Refuse names and versions that would not survive a file name, URL or OCI tag."""
    if not _CHART_NAME.match(name):
        raise ValueError(f"chart name {name!r}: use lower-case letters, digits and dashes")
    if not _VERSION.match(version) or version.startswith((".", "-", "+")):
        raise ValueError(f"chart version {version!r} is not a version")


def chart_archive_name(name: str, version: str) -> str:
    return f"{name}-{version}.tgz"


def oci_tag(version: str) -> str:
    """The OCI tag of a chart version: SemVer build metadata's `+` is not allowed in tags."""
    return version.replace("+", "_")


def chart_metadata(name: str, version: str, app_version: str | None = None) -> dict[str, Any]:
    """The `Chart.yaml` of a minimal application chart."""
    return {
        "apiVersion": "v2",
        "name": name,
        "version": version,
        "appVersion": app_version or version,
        "description": f"Synthetic chart {name} published by headwind dev publish-chart",
        "type": "application",
    }


def build_chart(name: str, version: str, app_version: str | None = None) -> bytes:
    """The chart archive (gzip tar), deterministic for the same arguments."""
    check_chart(name, version)
    metadata = chart_metadata(name, version, app_version)
    files = {
        f"{name}/Chart.yaml": yaml.safe_dump(metadata, sort_keys=False).encode(),
        f"{name}/values.yaml": b'message: "hello from headwind"\n',
        f"{name}/templates/configmap.yaml": _TEMPLATE.encode(),
    }
    compressed, _ = push.deterministic_tgz(files)
    return compressed


def index_entry(
    metadata: dict[str, Any], archive: bytes, *, url: str, created: datetime
) -> dict[str, Any]:
    """One version's entry in `index.yaml`: the chart's metadata plus where and what it is."""
    return {
        **metadata,
        "urls": [url],
        "digest": hashlib.sha256(archive).hexdigest(),
        "created": _rfc3339(created),
    }


def merge_index(
    index: dict[str, Any] | None, entry: dict[str, Any], *, generated: datetime
) -> dict[str, Any]:
    """`index` (a parsed `index.yaml`, or None for a new repository) with `entry` added.

    An entry of the same name and version is replaced (republishing a version is how tests
    simulate a rebuilt chart). Other charts and versions are kept as they are.
    """
    merged: dict[str, Any] = dict(index or {})
    merged["apiVersion"] = "v1"
    entries: dict[str, list[dict[str, Any]]] = {
        name: list(versions) for name, versions in (merged.get("entries") or {}).items()
    }
    versions = [v for v in entries.get(entry["name"], []) if v.get("version") != entry["version"]]
    # Helm lists the newest first; publishing order is a good enough proxy here and the policy
    # engine sorts by SemVer anyway.
    entries[entry["name"]] = [entry, *versions]
    merged["entries"] = dict(sorted(entries.items()))
    merged["generated"] = _rfc3339(generated)
    return merged


def publish_to_directory(
    repo_dir: Path,
    archive: bytes,
    metadata: dict[str, Any],
    *,
    now: datetime | None = None,
) -> Path:
    """Write the archive into `repo_dir` and merge it into `index.yaml`; the archive's path.

    Both files are replaced atomically and publishers are serialised by a lock file, so the
    HTTP server never serves a half-written index and two publishes never lose an entry.
    """
    now = now or datetime.now(UTC)
    repo_dir.mkdir(parents=True, exist_ok=True)
    filename = chart_archive_name(metadata["name"], metadata["version"])
    with _locked(repo_dir / ".index.lock"):
        _write_atomically(repo_dir / filename, archive)
        index_path = repo_dir / "index.yaml"
        current = yaml.safe_load(index_path.read_text()) if index_path.is_file() else None
        entry = index_entry(metadata, archive, url=filename, created=now)
        merged = merge_index(current, entry, generated=now)
        _write_atomically(index_path, yaml.safe_dump(merged, sort_keys=False).encode())
    return repo_dir / filename


async def push_chart_oci(
    client: uploading.RegistryPusher,
    registry: str,
    repository: str,
    archive: bytes,
    metadata: dict[str, Any],
    *,
    credentials: oci.Credentials | None = None,
) -> oci.Descriptor:
    """Push the chart as Helm's OCI artifact to `registry/repository:<version>`."""
    config = await client.push_blob(
        registry,
        repository,
        push.canonical_json(metadata),
        media_type=oci.mediatypes.HELM_CONFIG,
        credentials=credentials,
    )
    layer = await client.push_blob(
        registry,
        repository,
        archive,
        media_type=oci.mediatypes.HELM_CHART_CONTENT,
        credentials=credentials,
    )
    manifest = {
        "schemaVersion": 2,
        "mediaType": oci.mediatypes.OCI_MANIFEST,
        "config": config.as_json(),
        "layers": [layer.as_json()],
        "annotations": {
            "org.opencontainers.image.title": metadata["name"],
            "org.opencontainers.image.version": metadata["version"],
        },
    }
    return await client.put_manifest(
        registry,
        repository,
        oci_tag(metadata["version"]),
        push.canonical_json(manifest),
        media_type=oci.mediatypes.OCI_MANIFEST,
        credentials=credentials,
    )


def split_oci_target(target: str, chart: str) -> tuple[str, str, bool | None]:
    """`[oci://]host[:port]/path` -> (registry, `path/<chart>`, insecure) as `helm push` does.

    `http://` or `https://` instead of `oci://` pick the scheme explicitly.
    """
    insecure: bool | None = None
    scheme, sep, rest = target.partition("://")
    if sep:
        if scheme not in ("oci", "http", "https"):
            raise ValueError(f"--oci {target!r}: expected oci://, http:// or https://")
        insecure = {"oci": None, "http": True, "https": False}[scheme]
        target = rest
    registry, _, path = target.strip("/").partition("/")
    if not registry:
        raise ValueError(f"--oci {target!r}: expected REGISTRY[/PATH]")
    return registry.lower(), f"{path}/{chart}" if path else chart, insecure


def default_repo_dir(environ: dict[str, str] | None = None) -> Path:
    """`<state_dir>/helm-repo`, the directory the dev environment's Helm repository serves."""
    environ = dict(os.environ) if environ is None else environ
    return dev_settings.Layout(dev_settings.default_state_dir(environ)).helm_repo


def publish_chart_command(
    name: Annotated[str, typer.Argument(help="Chart name.")],
    version: Annotated[str, typer.Argument(help="Chart version (SemVer).")],
    app_version: Annotated[
        str | None, typer.Option(help="appVersion (default: the chart version).")
    ] = None,
    oci_target: Annotated[
        str | None,
        typer.Option(
            "--oci",
            metavar="REGISTRY/PATH",
            help="Push as an OCI chart to REGISTRY/PATH/NAME:VERSION (like `helm push`).",
        ),
    ] = None,
    repo_dir: Annotated[
        Path | None,
        typer.Option(help="HTTP repository directory (default: the dev environment's)."),
    ] = None,
    username: Annotated[
        str | None, typer.Option(envvar="HEADWIND_REGISTRY_USERNAME", help="Registry user.")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(envvar="HEADWIND_REGISTRY_PASSWORD", help="Registry password or token."),
    ] = None,
) -> None:
    """Publish a minimal chart version to the HTTP repository directory and/or an OCI registry.

    Without --oci the chart goes to the HTTP repository (--repo-dir, default the dev
    environment's); with --oci only to the registry, unless --repo-dir is given as well.
    """
    try:
        archive = build_chart(name, version, app_version)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    metadata = chart_metadata(name, version, app_version)
    if oci_target is None or repo_dir is not None:
        directory = repo_dir or default_repo_dir()
        path = publish_to_directory(directory, archive, metadata)
        typer.echo(f"published {path} and {directory / 'index.yaml'}")
    if oci_target is None:
        return
    try:
        registry, repository, insecure = split_oci_target(oci_target, name)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    credentials = push.credentials_from(username, password)

    async def run() -> oci.Descriptor:
        async with httpx.AsyncClient(timeout=30.0) as http:
            client = uploading.RegistryPusher(http, push.client_settings(registry, insecure))
            return await push_chart_oci(
                client, registry, repository, archive, metadata, credentials=credentials
            )

    try:
        pushed = asyncio.run(run())
    except oci.RegistryError as error:
        typer.echo(f"publish failed: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"pushed oci://{registry}/{repository}:{oci_tag(version)} {pushed.digest}")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
