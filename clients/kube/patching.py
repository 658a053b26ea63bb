"""Read, decide, write: one optimistic read-modify-write of a Kubernetes object.

Every change Headwind makes to a workload (the image and its history, remembered tags, a
recorded digest) is decided from the object as read, so it must not land on an object that
changed in between. The patch starts with a JSON Patch `test` of the resourceVersion read: a
concurrent writer makes it fail, and the decision is made again on a fresh read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from clients.kube.client import Conflict, Invalid, JsonObj

__all__ = ["ATTEMPTS", "Ops", "Patchable", "read_modify_write"]

ATTEMPTS = 5
"""Fresh reads before giving up; more would only mean fighting a controller that keeps writing."""

Ops = Sequence[Mapping[str, Any]]


class Patchable(Protocol):
    """What a read-modify-write needs of a client (`clients.kube.client.Kube` is one)."""

    def get(self, path: str) -> JsonObj: ...

    def json_patch(self, path: str, ops: Sequence[Mapping[str, Any]]) -> JsonObj: ...


def read_modify_write(
    kube: Patchable,
    path: str,
    change: Callable[[JsonObj], Ops | None],
    *,
    attempts: int = ATTEMPTS,
    first: JsonObj | None = None,
) -> JsonObj | None:
    """GET `path`, let `change` build a JSON Patch from it, send it guarded by the version read.

    `change` returns None when there is nothing to write (then so does this function), else
    the operations. Raises `NotFound` when the object is gone and `Conflict` when it kept
    changing for `attempts` reads.

    `first` is the object as read a moment ago by someone else (with its resourceVersion):
    the first attempt decides and writes against it without a GET. Only a write is trusted
    from it — "nothing to write" is decided again on a fresh read, since the copy may be old.
    """
    copy = first if first is not None and _version(first) else None
    for _ in range(attempts):
        from_copy = copy is not None
        obj = copy if copy is not None else kube.get(path)
        copy = None
        ops = change(obj)
        if ops is None:
            if from_copy:
                continue
            return None
        version = _version(obj)
        guard = [{"op": "test", "path": "/metadata/resourceVersion", "value": version}]
        try:
            return kube.json_patch(path, [*guard, *ops] if version else ops)
        except Conflict:
            continue
        except Invalid as error:
            # A failed `test` is a 422 whose message need not say "test": if the object moved
            # since it was read, that was the guard; if not, the patch itself is refused.
            if error.status == 422 and version and _version(kube.get(path)) != version:
                continue
            raise
    raise Conflict(409, f"{path} kept changing; gave up after {attempts} reads")


def _version(obj: JsonObj) -> str | None:
    version = (obj.get("metadata") or {}).get("resourceVersion")
    return str(version) if version else None
