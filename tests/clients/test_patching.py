"""One optimistic read-modify-write: what is retried, and what is refused for good."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from clients.kube import patching
from clients.kube.client import Conflict, Invalid, KubeError

PATH = "/apis/apps/v1/namespaces/shop/deployments/web"
OPS = [{"op": "add", "path": "/metadata/annotations/x", "value": "1"}]


@dataclass
class ScriptedKube:
    """Answers each PATCH with the next scripted outcome; every write moves the version."""

    outcomes: list[KubeError | None]
    version: int = 1
    patches: list[list[Mapping[str, Any]]] = field(default_factory=list)
    gets: int = 0

    def get(self, path: str) -> dict[str, Any]:
        self.gets += 1
        return self.current()

    def current(self) -> dict[str, Any]:
        return {"metadata": {"resourceVersion": str(self.version)}}

    def json_patch(self, path: str, ops: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        self.patches.append(list(ops))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Invalid) and "moved" in outcome.message:
            self.version += 1  # someone else wrote in between: the guard failed
            raise Invalid(422, "the server rejected our request due to an error in our request")
        if outcome is not None:
            raise outcome
        self.version += 1
        return self.current()


MOVED = Invalid(422, "moved")


@pytest.mark.parametrize(
    ("outcomes", "patches"),
    [
        pytest.param([None], 1, id="written at once"),
        pytest.param([Conflict(409, "modified"), None], 2, id="409: read again"),
        pytest.param([MOVED, None], 2, id="422 from the guard (object moved): read again"),
        pytest.param([MOVED, MOVED, None], 3, id="twice moved"),
    ],
)
def test_written(outcomes: list[KubeError | None], patches: int) -> None:
    kube = ScriptedKube(outcomes)
    assert patching.read_modify_write(kube, PATH, lambda obj: OPS) is not None
    assert len(kube.patches) == patches
    assert kube.patches[-1][0]["op"] == "test"


@pytest.mark.parametrize(
    ("outcomes", "error"),
    [
        pytest.param(
            [Invalid(422, "metadata.annotations: Too long")], Invalid, id="422 of a bad patch"
        ),
        pytest.param([Invalid(405, "method not allowed")], Invalid, id="405"),
        pytest.param([MOVED] * patching.ATTEMPTS, Conflict, id="kept moving: gives up"),
    ],
)
def test_refused(outcomes: list[KubeError | None], error: type[KubeError]) -> None:
    kube = ScriptedKube(outcomes)
    with pytest.raises(error):
        patching.read_modify_write(kube, PATH, lambda obj: OPS)


def test_nothing_to_write() -> None:
    kube = ScriptedKube([])
    assert patching.read_modify_write(kube, PATH, lambda obj: None) is None
    assert kube.patches == []


def _fresh_only(obj: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    # Nothing to write on the copy (version "0"), a write on anything newer.
    return None if obj["metadata"]["resourceVersion"] == "0" else OPS


@pytest.mark.parametrize(
    ("first", "outcomes", "change", "gets", "guards"),
    [
        pytest.param(
            {"metadata": {"resourceVersion": "1"}}, [None], None, 0, ["1"], id="copy is current"
        ),
        pytest.param(
            {"metadata": {"resourceVersion": "1"}},
            [MOVED, None],
            None,
            2,
            ["1", "2"],
            id="copy is old: the guard fails, decided again on a fresh read",
        ),
        pytest.param(
            {"metadata": {"resourceVersion": "0"}},
            [None],
            _fresh_only,
            1,
            ["1"],
            id="nothing to write on the copy: a fresh read decides",
        ),
        pytest.param({"metadata": {}}, [None], None, 1, ["1"], id="copy without a version"),
    ],
)
def test_first_attempt_from_a_copy(
    first: dict[str, Any],
    outcomes: list[KubeError | None],
    change: Any,
    gets: int,
    guards: list[str],
) -> None:
    kube = ScriptedKube(outcomes)
    written = patching.read_modify_write(kube, PATH, change or (lambda obj: OPS), first=first)
    assert written is not None
    assert kube.gets == gets
    assert [patch[0]["value"] for patch in kube.patches] == guards
