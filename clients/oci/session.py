"""Sending one request to a registry: authentication, bounded retries, a concurrency limit.

Every registry operation of `client.RegistryClient` goes through `Session.request`, so the
rules that keep Headwind a polite and safe registry client hold everywhere:

- at most `max_concurrency_per_registry` requests in flight per registry host;
- 429/503 (and gateway errors or dropped connections on idempotent requests) retried a
  bounded number of times, honouring `Retry-After`, with jitter;
- a 401 answered once, by the scheme its `WWW-Authenticate` offers: Basic with the
  credentials, or Bearer with a token from the challenge's realm (anonymous when there are
  no credentials). The registry's scheme is remembered, so later requests carry the right
  `Authorization` from the start and a bearer scan costs one token request per scope;
- `Authorization` is only attached to URLs on the registry's own origin (a `Link` or
  `Location` may point elsewhere);
- every HTTP answer is reported to `on_response(registry, status)`, the seam for metrics.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping

import httpx

from . import auth, endpoints, errors, retrying
from .challenges import Challenge, parse_www_authenticate
from .responses import error_for_response, json_object
from .settings import OciSettings

__all__ = ["ResponseHook", "Session", "Sleep"]

ResponseHook = Callable[[str, int], None]
"""Called with (registry, HTTP status) for every response, token endpoint included."""

Sleep = Callable[[float], Awaitable[None]]


class Session:
    """Authenticated, rate-limited, retried HTTP to any number of registries."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: OciSettings,
        *,
        on_response: ResponseHook | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._settings = settings
        self._on_response = on_response
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._tokens = auth.TokenCache(clock)
        self._challenges: dict[str, Challenge] = {}
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._token_locks: dict[auth.TokenKey, asyncio.Lock] = {}

    def url(self, registry: str, target: str | httpx.URL) -> httpx.URL:
        """`target` (a `/v2/...` path, or a `Link`/`Location` value) as an absolute URL."""
        base = httpx.URL(endpoints.api_base_url(registry, self._settings))
        return base.join(target)

    async def request(
        self,
        method: str,
        registry: str,
        target: str | httpx.URL,
        *,
        scope: str,
        credentials: auth.Credentials | None = None,
        repository: str | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send, authenticating as needed; return any answer but 401 (after retries).

        Raises `AuthenticationError` when the registry still refuses after authenticating
        (or needs credentials and has none), `RegistryUnreachableError` when no answer came.
        """
        registry = registry.lower()
        url = self.url(registry, target)
        same_origin = self._same_origin(registry, url)
        sent_auth = (
            await self._prepared_authorization(registry, scope, credentials, repository)
            if same_origin
            else None
        )
        response = await self._send(method, registry, url, headers, content, sent_auth)
        if response.status_code != 401 or not same_origin:
            return response
        challenge = self._pick_challenge(response, registry, repository)
        self._challenges[registry] = challenge
        retry_auth = await self._authorization_after_401(
            registry, scope, credentials, repository, challenge, sent_auth
        )
        response = await self._send(method, registry, url, headers, content, retry_auth)
        if response.status_code == 401:
            self._tokens.discard(self._tokens.key(registry, scope, credentials))
            raise self._refused(registry, repository, credentials, challenge, response)
        return response

    # -- authentication ---------------------------------------------------------------------

    async def _prepared_authorization(
        self,
        registry: str,
        scope: str,
        credentials: auth.Credentials | None,
        repository: str | None,
    ) -> str | None:
        """The `Authorization` to send up front, from what this registry asked for before."""
        challenge = self._challenges.get(registry)
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            return auth.basic_authorization(credentials) if credentials else None
        key = self._tokens.key(registry, scope, credentials)
        # One token request per key even when a scan starts many requests at once.
        async with self._token_locks.setdefault(key, asyncio.Lock()):
            token = self._tokens.get(key)
            if token is None:
                token = await self._fetch_token(registry, challenge, scope, credentials, repository)
                self._tokens.put(key, token)
        return f"Bearer {token.value}"

    async def _authorization_after_401(
        self,
        registry: str,
        scope: str,
        credentials: auth.Credentials | None,
        repository: str | None,
        challenge: Challenge,
        sent: str | None,
    ) -> str:
        if challenge.scheme == "basic":
            if credentials is None:
                raise errors.AuthenticationError(
                    "the registry requires credentials (Basic auth) and none were given",
                    registry=registry,
                    repository=repository,
                    status=401,
                )
            basic = auth.basic_authorization(credentials)
            if sent == basic:
                raise errors.AuthenticationError(
                    f"the registry rejected the credentials of user {credentials.username!r}",
                    registry=registry,
                    repository=repository,
                    status=401,
                )
            return basic
        # Bearer: the cached token (if one was sent) expired or lacks this request's scope,
        # which the challenge names exactly (pushes ask for "pull,push").
        key = self._tokens.key(registry, scope, credentials)
        self._tokens.discard(key)
        token = await self._fetch_token(
            registry, challenge, challenge.scope or scope, credentials, repository
        )
        self._tokens.put(key, token)
        return f"Bearer {token.value}"

    async def _fetch_token(
        self,
        registry: str,
        challenge: Challenge,
        scope: str,
        credentials: auth.Credentials | None,
        repository: str | None,
    ) -> auth.Token:
        """Exchange credentials (or nothing, for anonymous access) for a bearer token."""
        realm = httpx.URL(challenge.realm or "")
        if realm.scheme not in ("http", "https") or not realm.host:
            raise errors.RegistryProtocolError(
                f"bearer challenge has no usable realm: {challenge.realm!r}",
                registry=registry,
                repository=repository,
            )
        if credentials and realm.scheme == "http" and not self._insecure_ok(realm):
            raise errors.AuthenticationError(
                f"refusing to send credentials to a plain-http token endpoint {realm}",
                registry=registry,
                repository=repository,
                status=401,
            )
        query: dict[str, str] = {"scope": scope}
        if challenge.service:
            query["service"] = challenge.service
        headers: dict[str, str] = {}
        if credentials:
            query["account"] = credentials.username
            headers["Authorization"] = auth.basic_authorization(credentials)
        url = realm.copy_merge_params(query)
        response = await self._send("GET", registry, url, headers, None, None)
        if response.status_code in (401, 403):
            who = f"user {credentials.username!r}" if credentials else "anonymous access"
            raise errors.AuthenticationError(
                f"token endpoint {realm} refused {who} for {scope!r}: HTTP {response.status_code}",
                registry=registry,
                repository=repository,
                status=response.status_code,
            )
        if response.status_code != 200:
            raise error_for_response(
                response, registry=registry, repository=repository, action="get a token"
            )
        token = auth.parse_token_response(
            json_object(response, registry=registry, repository=repository),
            now=self._clock(),
            default_lifetime=self._settings.token_default_lifetime,
        )
        if token is None:
            raise errors.RegistryProtocolError(
                f"token endpoint {realm} answered without a token",
                registry=registry,
                repository=repository,
            )
        return token

    def _pick_challenge(
        self, response: httpx.Response, registry: str, repository: str | None
    ) -> Challenge:
        offered = parse_www_authenticate(response.headers.get("WWW-Authenticate", ""))
        for preferred in ("bearer", "basic"):
            for challenge in offered:
                if challenge.scheme == preferred:
                    return challenge
        raise errors.AuthenticationError(
            "HTTP 401 without a Bearer or Basic challenge in WWW-Authenticate",
            registry=registry,
            repository=repository,
            status=401,
        )

    @staticmethod
    def _refused(
        registry: str,
        repository: str | None,
        credentials: auth.Credentials | None,
        challenge: Challenge,
        response: httpx.Response,
    ) -> errors.AuthenticationError:
        if challenge.scheme == "basic" and credentials is not None:
            return errors.AuthenticationError(
                f"the registry rejected the credentials of user {credentials.username!r}",
                registry=registry,
                repository=repository,
                status=401,
            )
        offered = parse_www_authenticate(response.headers.get("WWW-Authenticate", ""))
        reason = next((c.params["error"] for c in offered if "error" in c.params), None)
        who = f"user {credentials.username!r}" if credentials else "anonymous access"
        hint = "" if credentials else " (a private repository, or one that does not exist)"
        return errors.AuthenticationError(
            f"the registry refused {who} after {challenge.scheme} authentication"
            + (f": {reason}" if reason else "")
            + hint,
            registry=registry,
            repository=repository,
            status=401,
        )

    # -- transport --------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        registry: str,
        url: httpx.URL,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        authorization: str | None,
    ) -> httpx.Response:
        """One request with the bounded retries; returns the last answer."""
        all_headers = {"User-Agent": self._settings.user_agent, **(headers or {})}
        if authorization:
            all_headers["Authorization"] = authorization
        attempts = self._settings.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                async with self._limit(registry):
                    response = await self._http.request(
                        method, url, headers=all_headers, content=content
                    )
            except httpx.TransportError as error:
                if last or not retrying.is_idempotent(method):
                    raise errors.RegistryUnreachableError(
                        f"{method} {url.copy_with(query=None)}: {type(error).__name__}: {error}",
                        registry=registry,
                    ) from error
                await self._sleep(retrying.backoff_delay(attempt, self._settings, self._rng))
                continue
            if self._on_response is not None:
                self._on_response(registry, response.status_code)
            if last or not retrying.should_retry(method, response.status_code):
                return response
            retry_after = retrying.parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self._settings.max_retry_after:
                return response
            await self._sleep(
                retrying.backoff_delay(attempt, self._settings, self._rng, retry_after)
            )
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def _limit(self, registry: str) -> asyncio.Semaphore:
        host = endpoints.api_host(registry)
        limit = self._limits.get(host)
        if limit is None:
            limit = asyncio.Semaphore(self._settings.max_concurrency_per_registry)
            self._limits[host] = limit
        return limit

    def _same_origin(self, registry: str, url: httpx.URL) -> bool:
        own = self.url(registry, "/")
        return (own.scheme, own.netloc) == (url.scheme, url.netloc)

    def _insecure_ok(self, url: httpx.URL) -> bool:
        return endpoints.is_insecure(url.netloc.decode("ascii"), self._settings)
