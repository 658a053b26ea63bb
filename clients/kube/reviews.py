"""Who a bearer token belongs to and what they may do: TokenReview and SubjectAccessReview.

The API's `token` auth mode asks the apiserver on behalf of each caller. A page of the web UI
or a burst of approvals would ask the same questions many times a second, so answers are
kept for a few seconds (`ttl`): long enough to absorb a burst, short enough that a revoked
RoleBinding or an expired token stops working almost at once. Blocking like the client it
uses; the API calls it in a thread.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from clients.kube.client import Kube
from headwind.models import WorkloadKind

__all__ = ["Access", "KubeReviews", "ReviewedUser", "TtlCache"]

_TOKEN_REVIEW = "/apis/authentication.k8s.io/v1/tokenreviews"
_ACCESS_REVIEW = "/apis/authorization.k8s.io/v1/subjectaccessreviews"

V = TypeVar("V")


@dataclass(frozen=True)
class ReviewedUser:
    """The identity TokenReview found for a token."""

    username: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Access:
    """One question to SubjectAccessReview: may this user `verb` this workload?"""

    username: str
    groups: tuple[str, ...]
    verb: str
    kind: WorkloadKind
    namespace: str
    name: str | None = None
    """None asks about every object of the kind in the namespace (a listing)."""


class TtlCache(Generic[V]):
    """At most `size` answers, each for `ttl` seconds; thread-safe."""

    def __init__(
        self, ttl: float, *, size: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        now = self._clock()
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] > now:
                return found[1]
        value = compute()
        with self._lock:
            self._items[key] = (now + self._ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


class KubeReviews:
    """TokenReview and SubjectAccessReview through Headwind's own apiserver connection."""

    def __init__(self, kube: Kube, *, ttl: float = 10.0, timeout: float = 10.0) -> None:
        self._kube = kube
        self._timeout = timeout
        self._tokens: TtlCache[ReviewedUser | None] = TtlCache(ttl)
        self._access: TtlCache[tuple[bool, str]] = TtlCache(ttl)

    def authenticate(self, token: str) -> ReviewedUser | None:
        """The token's user, or None when the apiserver does not recognise it."""
        # The cache is keyed by a digest so that tokens are not kept in memory longer than needed.
        key = hashlib.sha256(token.encode()).hexdigest()
        return self._tokens.get_or_compute(key, lambda: self._review_token(token))

    def allowed(self, access: Access) -> tuple[bool, str]:
        """Whether the access is allowed, and the apiserver's reason (often empty)."""
        return self._access.get_or_compute(access, lambda: self._review_access(access))

    def _review_token(self, token: str) -> ReviewedUser | None:
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token},
        }
        status: dict[str, Any] = (
            self._kube.request("POST", _TOKEN_REVIEW, body, timeout=self._timeout).get("status")
            or {}
        )
        user = status.get("user") or {}
        if not status.get("authenticated") or not user.get("username"):
            return None
        return ReviewedUser(str(user["username"]), tuple(str(g) for g in user.get("groups") or ()))

    def _review_access(self, access: Access) -> tuple[bool, str]:
        group, _, _version = access.kind.api_version.rpartition("/")
        attributes = {
            "verb": access.verb,
            "group": group,
            "resource": access.kind.value.lower() + "s",
            "namespace": access.namespace,
        }
        if access.name is not None:
            attributes["name"] = access.name
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": access.username,
                "groups": list(access.groups),
                "resourceAttributes": attributes,
            },
        }
        status = (
            self._kube.request("POST", _ACCESS_REVIEW, body, timeout=self._timeout).get("status")
            or {}
        )
        return bool(status.get("allowed")), str(status.get("reason") or "")
