"""Tag listing: `Link` pagination, `n=` page size, and what registries get wrong."""

from __future__ import annotations

import httpx
import pytest

from clients import oci
from tests.clients.oci_support import Handler, json_response, oci_error, registry_client

REGISTRY = "localhost:5000"
ALL_TAGS = [f"1.{n}" for n in range(7)]


def paginated(tags: list[str], *, link_style: str = "relative") -> Handler:
    """Distribution's behaviour: `n` tags after `last`, and a `Link` while more remain."""

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        size = int(params.get("n", len(tags)))
        start = tags.index(params["last"]) + 1 if "last" in params else 0
        page = tags[start : start + size]
        headers = {}
        if start + size < len(tags):
            target = f"/v2/team/app/tags/list?last={page[-1]}&n={size}"
            if link_style == "absolute":
                target = f"http://{REGISTRY}{target}"
            headers["Link"] = f'<{target}>; rel="next"'
        return json_response(200, {"name": "team/app", "tags": page}, headers)

    return handler


@pytest.mark.parametrize(
    ("page_size", "link_style", "requests"),
    [
        pytest.param(3, "relative", 3, id="7-tags-in-pages-of-3-relative-link"),
        pytest.param(3, "absolute", 3, id="7-tags-in-pages-of-3-absolute-link"),
        pytest.param(7, "relative", 1, id="exactly-one-page"),
        pytest.param(1, "relative", 7, id="one-tag-per-page"),
        pytest.param(None, "relative", 1, id="registry-default-page-size"),
    ],
)
async def test_pagination_follows_link_to_the_last_page(
    page_size: int | None, link_style: str, requests: int
) -> None:
    async with registry_client(paginated(ALL_TAGS, link_style=link_style)) as harness:
        tags = await harness.client.list_tags(REGISTRY, "team/app", page_size=page_size)

    assert tags == ALL_TAGS
    assert len(harness.requests) == requests
    first = harness.requests[0].url.params
    assert first.get("n") == (str(page_size) if page_size else None)


async def test_page_size_from_settings() -> None:
    settings = oci.OciSettings(tags_page_size=2)
    async with registry_client(paginated(ALL_TAGS), settings) as harness:
        assert await harness.client.list_tags(REGISTRY, "team/app") == ALL_TAGS
    assert len(harness.requests) == 4


async def test_iter_tags_can_stop_early() -> None:
    async with registry_client(paginated(ALL_TAGS)) as harness:
        async for tag in harness.client.iter_tags(REGISTRY, "team/app", page_size=3):
            if tag == "1.1":
                break
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"name": "team/app", "tags": None}, [], id="docker-hub-null-when-empty"),
        pytest.param({"name": "team/app"}, [], id="missing-tags"),
        pytest.param({"name": "team/app", "tags": []}, [], id="empty-list"),
    ],
)
async def test_empty_repositories(body: object, expected: list[str]) -> None:
    async with registry_client(lambda r: json_response(200, body)) as harness:
        assert await harness.client.list_tags(REGISTRY, "team/app") == expected


def one_page_with_link(link: str) -> Handler:
    return lambda r: json_response(200, {"tags": ["a"]}, {"Link": link})


@pytest.mark.parametrize(
    ("handler", "error", "message"),
    [
        pytest.param(
            lambda r: oci_error(404, "NAME_UNKNOWN", "repository name not known to registry"),
            oci.NotFoundError,
            r"list tags: HTTP 404 \(NAME_UNKNOWN: repository name not known to registry\)",
            id="unknown-repository",
        ),
        pytest.param(
            one_page_with_link('<http://evil.example/v2/x/tags/list?last=a>; rel="next"'),
            oci.RegistryProtocolError,
            "next page link leaves the registry",
            id="link-to-another-host-not-followed",
        ),
        pytest.param(
            one_page_with_link('</v2/team/app/tags/list?last=a>; rel="next"'),
            oci.RegistryProtocolError,
            "pagination loops back",
            id="link-loop",
        ),
        pytest.param(
            lambda r: httpx.Response(200, content=b"<html>", headers={"Content-Type": "text/html"}),
            oci.RegistryProtocolError,
            "answered invalid JSON",
            id="not-json",
        ),
        pytest.param(
            lambda r: json_response(200, {"tags": [1, 2]}),
            oci.RegistryProtocolError,
            "`tags` is not a list of strings",
            id="tags-not-strings",
        ),
        pytest.param(
            lambda r: json_response(200, ["1.0"]),
            oci.RegistryProtocolError,
            "JSON that is not an object",
            id="json-array",
        ),
    ],
)
async def test_listing_errors(handler: Handler, error: type[Exception], message: str) -> None:
    async with registry_client(handler) as harness:
        with pytest.raises(error, match=message):
            await harness.client.list_tags(REGISTRY, "team/app")


@pytest.mark.parametrize(
    "repository",
    [
        pytest.param("../etc", id="dot-dot"),
        pytest.param("Team/App", id="upper-case"),
        pytest.param("team//app", id="empty-component"),
        pytest.param("team/app?x=1", id="query"),
        pytest.param("", id="empty"),
    ],
)
async def test_invalid_repository_names_are_refused_before_any_request(repository: str) -> None:
    async with registry_client(lambda r: httpx.Response(500)) as harness:
        with pytest.raises(ValueError, match="not a valid repository name"):
            await harness.client.list_tags(REGISTRY, repository)
    assert harness.requests == []


async def test_catalog_is_paginated_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "last" not in request.url.params:
            link = {"Link": '</v2/_catalog?last=b&n=2>; rel="next"'}
            return json_response(200, {"repositories": ["a", "b"]}, link)
        return json_response(200, {"repositories": ["c"]})

    async with registry_client(handler) as harness:
        assert await harness.client.list_repositories(REGISTRY, page_size=2) == ["a", "b", "c"]
