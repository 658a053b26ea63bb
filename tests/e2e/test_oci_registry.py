"""The OCI client, `headwind dev push` and OCI charts against a real CNCF Distribution registry.

Each module run starts throwaway registries on free loopback ports, storage in a temporary
directory: two of Debian's `docker-registry` (Distribution 2.8), one anonymous and one behind
htpasswd basic auth, and one Distribution v3 (`scripts/build-distribution`, cached), the only
one that paginates tag lists. They are this module's own, not the shared dev environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml
from headwind_dev import charts, push, uploading
from typer.testing import CliRunner

from clients import oci
from clients.oci import mediatypes
from tests.e2e.registries import Registry, distribution_v3, running_registry
from worker import cli

pytestmark = pytest.mark.e2e

USER = oci.Credentials("headwind", "correct horse battery staple")
AMD64 = push.Platform("linux", "amd64")
ARM64 = push.Platform("linux", "arm64", "v8")


@dataclass
class Counter:
    """`on_response` hook that remembers (registry, status) pairs."""

    seen: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, registry: str, status: int) -> None:
        self.seen.append((registry, status))

    def count(self, status: int) -> int:
        return sum(1 for _, s in self.seen if s == status)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("oci") / "anonymous", None) as running:
        yield running


@pytest.fixture(scope="module")
def private_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("oci") / "private", USER) as running:
        yield running


@pytest.fixture(scope="module")
def paginating_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Distribution v3: built once per machine into the cache, then started like the others."""
    root = tmp_path_factory.mktemp("oci") / "v3"
    with running_registry(root, None, distribution_v3()) as running:
        yield running


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
async def client(counter: Counter) -> AsyncIterator[uploading.RegistryPusher]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        yield uploading.RegistryPusher(http, on_response=counter)


async def _push(
    client: uploading.RegistryPusher,
    registry: Registry,
    repository: str,
    tag: str,
    platforms: tuple[push.Platform, ...] = (AMD64,),
    salt: str = "",
) -> oci.Descriptor:
    image = push.build_image(repository, tag, platforms, salt=salt)
    return await push.push_image(
        client, registry.address, repository, tag, image, credentials=registry.credentials
    )


async def test_single_platform_push_then_head_gives_the_pushed_digest(
    client: uploading.RegistryPusher, registry: Registry
) -> None:
    pushed = await _push(client, registry, "single/app", "1.0")
    described = await client.head_manifest(registry.address, "single/app", "1.0")
    manifest = await client.get_manifest(registry.address, "single/app", pushed.digest)

    assert described == pushed
    assert described.media_type == mediatypes.OCI_MANIFEST
    assert manifest.json()["config"]["mediaType"] == mediatypes.OCI_CONFIG


async def test_multi_platform_push_is_an_index_and_head_gives_its_digest(
    client: uploading.RegistryPusher, registry: Registry
) -> None:
    pushed = await _push(client, registry, "multi/app", "2.0", (AMD64, ARM64))
    described = await client.head_manifest(registry.address, "multi/app", "2.0")
    index = (await client.get_manifest(registry.address, "multi/app", "2.0")).json()

    assert described.digest == pushed.digest
    assert described.is_index
    assert described.media_type == mediatypes.OCI_INDEX
    platforms = [entry["platform"]["architecture"] for entry in index["manifests"]]
    assert platforms == ["amd64", "arm64"]
    for entry in index["manifests"]:
        child = await client.head_manifest(registry.address, "multi/app", entry["digest"])
        assert child.media_type == mediatypes.OCI_MANIFEST


async def test_a_new_salt_moves_the_same_tag_to_a_new_digest(
    client: uploading.RegistryPusher, registry: Registry
) -> None:
    first = await _push(client, registry, "force/app", "1.0")
    second = await _push(client, registry, "force/app", "1.0", salt="rebuild-1")
    described = await client.head_manifest(registry.address, "force/app", "1.0")

    assert first.digest != second.digest
    assert described.digest == second.digest


async def test_pushing_the_same_image_again_uploads_no_blob(
    client: uploading.RegistryPusher, registry: Registry, counter: Counter
) -> None:
    await _push(client, registry, "again/app", "1.0", (AMD64, ARM64))
    uploads_started = counter.count(202)
    await _push(client, registry, "again/app", "1.0", (AMD64, ARM64))

    assert uploads_started == 4  # config and layer of two platforms
    assert counter.count(202) == uploads_started


async def test_all_tags_are_listed_whatever_the_page_size(
    client: uploading.RegistryPusher, registry: Registry
) -> None:
    tags = [f"1.{n}" for n in range(7)]
    for tag in tags:
        await _push(client, registry, "paged/app", tag)

    # Distribution 2.8 (Debian's) ignores `n` on tag lists and sends every tag at once; the
    # client must cope with that as well as with registries that paginate.
    listed = await client.list_tags(registry.address, "paged/app", page_size=3)
    assert sorted(listed) == tags


async def test_tag_pagination_follows_link_headers_over_several_pages(
    client: uploading.RegistryPusher, paginating_registry: Registry, counter: Counter
) -> None:
    tags = [f"1.{n}" for n in range(7)]
    for tag in tags:
        await _push(client, paginating_registry, "paged/app", tag)
    counter.seen.clear()

    listed = await client.list_tags(paginating_registry.address, "paged/app", page_size=3)

    assert listed == tags  # v3 sorts tags lexically
    assert counter.seen == [(paginating_registry.address, 200)] * 3  # 3 + 3 + 1


async def test_catalog_pagination_follows_the_registrys_link_headers(
    client: uploading.RegistryPusher, registry: Registry, counter: Counter
) -> None:
    repositories = [f"catalog/r{n}" for n in range(7)]
    for repository in repositories:
        await _push(client, registry, repository, "1.0")
    counter.seen.clear()

    listed = await client.list_repositories(registry.address, page_size=3)

    assert set(repositories) <= set(listed)
    assert len(listed) == len(set(listed))
    assert counter.count(200) >= 3  # at least 7 repositories in pages of 3


async def test_unknown_repository_and_tag_are_not_found(
    client: uploading.RegistryPusher, registry: Registry
) -> None:
    await _push(client, registry, "known/app", "1.0")
    with pytest.raises(oci.NotFoundError, match="NAME_UNKNOWN") as repository:
        await client.list_tags(registry.address, "unknown/app")
    with pytest.raises(oci.NotFoundError) as tag:
        await client.head_manifest(registry.address, "known/app", "9.9")

    assert repository.value.status == 404
    assert tag.value.status == 404


async def test_private_registry_with_credentials(
    client: uploading.RegistryPusher, private_registry: Registry
) -> None:
    pushed = await _push(client, private_registry, "private/app", "1.0", (AMD64, ARM64))
    tags = await client.list_tags(private_registry.address, "private/app", credentials=USER)
    described = await client.head_manifest(
        private_registry.address, "private/app", "1.0", credentials=USER
    )

    assert tags == ["1.0"]
    assert described.digest == pushed.digest


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        pytest.param(None, "requires credentials", id="no-credentials"),
        pytest.param(
            oci.Credentials(USER.username, "wrong"),
            "rejected the credentials of user 'headwind'",
            id="wrong-password",
        ),
    ],
)
async def test_private_registry_refuses_with_a_clear_authentication_error(
    client: uploading.RegistryPusher,
    private_registry: Registry,
    credentials: oci.Credentials | None,
    message: str,
) -> None:
    with pytest.raises(oci.AuthenticationError, match=message) as raised:
        await client.list_tags(private_registry.address, "private/app", credentials=credentials)
    assert raised.value.registry == private_registry.address
    assert not raised.value.retryable


async def test_oci_chart_push_then_list_its_versions_as_tags(
    client: uploading.RegistryPusher, registry: Registry
) -> None:
    versions = ["0.1.0", "0.2.0", "1.0.0+build.7"]
    for version in versions:
        archive = charts.build_chart("demo", version)
        await charts.push_chart_oci(
            client, registry.address, "charts/demo", archive, charts.chart_metadata("demo", version)
        )

    tags = await client.list_tags(registry.address, "charts/demo")
    manifest = (await client.get_manifest(registry.address, "charts/demo", "0.2.0")).json()

    assert sorted(tags) == ["0.1.0", "0.2.0", "1.0.0_build.7"]
    assert manifest["config"]["mediaType"] == mediatypes.HELM_CONFIG
    assert [layer["mediaType"] for layer in manifest["layers"]] == [mediatypes.HELM_CHART_CONTENT]
    assert manifest["annotations"]["org.opencontainers.image.version"] == "0.2.0"


def test_cli_push_prints_the_digest_that_the_registry_serves(registry: Registry) -> None:
    result = CliRunner().invoke(
        cli.app,
        [
            "dev",
            "push",
            f"{registry.address}/cli/app:3.0",
            "--platforms",
            "linux/amd64,linux/arm64",
        ],
    )
    assert result.exit_code == 0, result.output
    digest = result.stdout.strip().splitlines()[-1]
    head = httpx.head(
        f"http://{registry.address}/v2/cli/app/manifests/3.0",
        headers={"Accept": mediatypes.OCI_INDEX},
    )
    assert head.headers["Docker-Content-Digest"] == digest


def test_cli_push_to_the_private_registry_needs_credentials(private_registry: Registry) -> None:
    target = f"{private_registry.address}/cli/private:1.0"
    refused = CliRunner().invoke(cli.app, ["dev", "push", target])
    accepted = CliRunner().invoke(
        cli.app,
        ["dev", "push", target],
        env={
            "HEADWIND_REGISTRY_USERNAME": USER.username,
            "HEADWIND_REGISTRY_PASSWORD": USER.password,
        },
    )
    assert refused.exit_code == 1
    assert "requires credentials" in refused.output
    assert accepted.exit_code == 0, accepted.output


def test_cli_publish_chart_to_oci_and_an_http_directory(registry: Registry, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli.app,
        [
            "dev",
            "publish-chart",
            "web",
            "1.2.3",
            "--oci",
            f"oci://{registry.address}/charts",
            "--repo-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    index = yaml.safe_load((tmp_path / "index.yaml").read_text())
    tags = httpx.get(f"http://{registry.address}/v2/charts/web/tags/list").json()

    assert [entry["version"] for entry in index["entries"]["web"]] == ["1.2.3"]
    assert tags["tags"] == ["1.2.3"]
