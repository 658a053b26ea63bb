"""Being a polite client: 429/`Retry-After`, bounded retries, concurrency per registry, hook."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from clients import oci
from tests.clients.oci_support import Handler, json_response, oci_error, registry_client

REGISTRY = "registry.example.com"
OK = json_response(200, {"name": "team/app", "tags": ["1.0"]})


def sequence(*responses: httpx.Response | Exception) -> Handler:
    """Answer with each response in turn (raising exceptions), then keep answering the last."""
    remaining: Iterator[httpx.Response | Exception] = iter(responses)
    last: list[httpx.Response | Exception] = [responses[-1]]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(remaining, last[0])
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


def too_many(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return oci_error(429, "TOOMANYREQUESTS", "slow down", **headers)


SETTINGS = oci.OciSettings(max_retries=3, backoff_base=0.5, backoff_max=8.0, max_retry_after=60)


@pytest.mark.parametrize(
    ("answers", "sleeps_between"),
    [
        pytest.param([too_many("2"), OK], [(2.0, 2.5)], id="429-retry-after-honoured"),
        pytest.param([too_many("1"), too_many("3"), OK], [(1.0, 1.5), (3.0, 3.5)], id="two-429s"),
        pytest.param(
            [too_many(), too_many(), OK], [(0.25, 0.5), (0.5, 1.0)], id="429-without-retry-after"
        ),
        pytest.param(
            [httpx.Response(503), httpx.Response(502), OK],
            [(0.25, 0.5), (0.5, 1.0)],
            id="503-then-502-on-get",
        ),
        pytest.param(
            [httpx.ConnectError("refused"), OK], [(0.25, 0.5)], id="dropped-connection-on-get"
        ),
    ],
)
async def test_transient_failures_are_retried_after_a_backoff(
    answers: list[httpx.Response | Exception], sleeps_between: list[tuple[float, float]]
) -> None:
    async with registry_client(sequence(*answers), SETTINGS) as harness:
        assert await harness.client.list_tags(REGISTRY, "team/app") == ["1.0"]

    assert len(harness.sleeps) == len(sleeps_between)
    for slept, (low, high) in zip(harness.sleeps, sleeps_between, strict=True):
        assert low <= slept <= high


async def test_retries_are_bounded_and_end_in_rate_limited_error() -> None:
    async with registry_client(sequence(too_many("1")), SETTINGS) as harness:
        with pytest.raises(oci.RateLimitedError, match="HTTP 429") as raised:
            await harness.client.list_tags(REGISTRY, "team/app")

    assert len(harness.requests) == SETTINGS.max_retries + 1
    assert len(harness.sleeps) == SETTINGS.max_retries
    assert raised.value.retry_after == 1.0
    assert raised.value.retryable
    assert raised.value.codes == ("TOOMANYREQUESTS",)


async def test_a_retry_after_longer_than_allowed_is_not_slept_but_reported() -> None:
    async with registry_client(sequence(too_many("21600")), SETTINGS) as harness:
        with pytest.raises(oci.RateLimitedError, match="retry after 21600s") as raised:
            await harness.client.list_tags(REGISTRY, "team/app")

    assert harness.sleeps == []
    assert len(harness.requests) == 1
    assert raised.value.retry_after == 21600.0


@pytest.mark.parametrize(
    ("answer", "error", "requests"),
    [
        pytest.param(httpx.Response(500), oci.RegistryServerError, 1, id="500-not-retried"),
        pytest.param(httpx.Response(503), oci.RegistryServerError, 4, id="503-retried-then-fails"),
        pytest.param(
            httpx.ConnectError("refused"), oci.RegistryUnreachableError, 4, id="unreachable"
        ),
        pytest.param(httpx.Response(400), oci.RegistryResponseError, 1, id="400-not-retried"),
    ],
)
async def test_final_failures(
    answer: httpx.Response | Exception, error: type[oci.RegistryError], requests: int
) -> None:
    async with registry_client(sequence(answer), SETTINGS) as harness:
        with pytest.raises(error):
            await harness.client.list_tags(REGISTRY, "team/app")
    assert len(harness.requests) == requests


async def test_every_response_is_reported_with_its_registry_and_status() -> None:
    answers = sequence(too_many("0"), httpx.Response(503), OK)
    async with registry_client(answers, SETTINGS) as harness:
        await harness.client.list_tags("Registry.Example.com", "team/app")
    assert harness.reported == [(REGISTRY, 429), (REGISTRY, 503), (REGISTRY, 200)]


@pytest.mark.parametrize("limit", [1, 3])
async def test_concurrency_is_limited_per_registry_host(limit: int) -> None:
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        in_flight[host] = in_flight.get(host, 0) + 1
        peak[host] = max(peak.get(host, 0), in_flight[host])
        await asyncio.sleep(0.01)
        in_flight[host] -= 1
        return OK

    settings = oci.OciSettings(max_concurrency_per_registry=limit)
    async with registry_client(handler, settings) as harness:
        await asyncio.gather(
            *(
                harness.client.list_tags(registry, f"team/app{n}")
                for n in range(8)
                for registry in ("a.example.com", "b.example.com")
            )
        )
    assert peak == {"a.example.com": limit, "b.example.com": limit}
