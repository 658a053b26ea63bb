"""Why not updated: the registry's tags judged per container, by the endpoint and the core."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from api import deps
from headwind import explaining, watched
from headwind.index import ImageIndex, Subscriber
from headwind.models import WorkloadKind
from tests.api.api_support import build, client
from worker import cli
from worker.cli import workloads as cli_workloads

H = "headwind.sh/"
E = "/api/v1/workloads/deployment/team/web/explain"


def _deployment(annotations: dict[str, str], containers: list[tuple[str, str]]) -> Any:
    return {
        "metadata": {"name": "web", "namespace": "team", "uid": "u1", "annotations": annotations},
        "spec": {
            "template": {"spec": {"containers": [{"name": n, "image": i} for n, i in containers]}}
        },
    }


class FakeTags:
    """Tags per repository; a repository in `broken` fails like an unreachable registry."""

    def __init__(self, tags: dict[str, list[str]], broken: frozenset[str] = frozenset()) -> None:
        self.tags = tags
        self.broken = broken
        self.asked: list[str] = []

    async def tags_of(self, sub: Subscriber) -> list[str]:
        self.asked.append(sub.repository)
        if sub.repository in self.broken:
            raise ConnectionError("registry unreachable")
        return self.tags[sub.repository]


def _source(fake: FakeTags) -> Any:
    class Source:
        async def tags(self, sub: Subscriber) -> list[str]:
            return await fake.tags_of(sub)

    return Source()


def _index(obj: Any) -> ImageIndex:
    index = ImageIndex()
    found = watched.from_object(WorkloadKind.DEPLOYMENT, obj)
    assert found is not None
    index.put(found)
    index.mark_synced()
    return index


WEB = _deployment(
    {H + "policy": "minor", H + "rejected-tags": json.dumps({"app": ["1.3.0"]})},
    [("app", "r.local/web:1.2.0"), ("side", "r.local/side:2.0")],
)
TAGS = {
    "r.local/web": ["1.2.0", "1.2.1", "1.3.0", "2.0.0", "latest"],
    "r.local/side": ["2.0", "2.1"],
}


async def _explain(obj: Any, fake: FakeTags, **settings: Any) -> Any:
    api = build(index=_index(obj), **settings)
    api.app.dependency_overrides[deps.get_tags] = lambda: _source(fake)
    async with client(api) as http:
        return await http.get(E, headers={"X-User": "alice"})


def _verdicts(container: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {c["tag"]: (c["reason"], c["chosen"]) for c in container["candidates"]}


async def test_every_tag_has_a_verdict_and_the_chosen_one_is_marked() -> None:
    response = await _explain(WEB, FakeTags(TAGS))
    assert response.status_code == 200, response.text
    app, side = response.json()["containers"]
    assert (app["container"], app["chosen"], app["rejected"]) == ("app", "1.2.1", ["1.3.0"])
    assert _verdicts(app) == {
        "1.2.0": ("same-as-current", False),
        "1.2.1": ("chosen", True),
        "1.3.0": ("rejected-earlier", False),
        "2.0.0": ("other-major", False),
        "latest": ("not-a-version", False),
    }
    [remembered] = [c for c in app["candidates"] if c["remembered"]]
    assert (remembered["tag"], remembered["remembered"]) == ("1.3.0", "rejected")
    assert (side["chosen"], side["reason"]) == ("2.1", "chosen")


async def test_a_registry_that_fails_is_reported_per_container() -> None:
    response = await _explain(WEB, FakeTags(TAGS, broken=frozenset({"r.local/side"})))
    assert response.status_code == 200
    app, side = response.json()["containers"]
    assert app["chosen"] == "1.2.1"
    assert (side["reason"], side["candidates"]) == ("registry-error", [])
    assert "registry unreachable" in side["message"]


async def test_each_repository_is_listed_once() -> None:
    obj = _deployment(
        {H + "policy": "patch"}, [("a", "r.local/web:1.2.0"), ("b", "r.local/web:1.2.0")]
    )
    fake = FakeTags(TAGS)
    response = await _explain(obj, fake)
    assert response.status_code == 200
    assert fake.asked == ["r.local/web"]


async def test_an_untracked_container_is_judged_but_not_chosen() -> None:
    obj = _deployment(
        {H + "policy": "minor", H + "images": "app"},
        [("app", "r.local/web:1.2.0"), ("side", "r.local/side:2.0")],
    )
    response = await _explain(obj, FakeTags(TAGS))
    side = response.json()["containers"][1]
    assert (side["tracked"], side["chosen"], side["reason"]) == (False, None, "not-tracked")
    assert _verdicts(side)["2.1"] == ("chosen", False)


@pytest.mark.parametrize(
    ("settings", "headers", "code"),
    [
        pytest.param({"ui_auth_mode": "simple"}, {}, 401, id="unauthenticated"),
        pytest.param({}, {}, 404, id="not-watched"),
    ],
)
async def test_refusals(settings: dict[str, Any], headers: dict[str, str], code: int) -> None:
    api = build(**settings)
    async with client(api) as http:
        response = await http.get(E, headers=headers)
    assert response.status_code == code


def test_force_explains_that_it_follows_pushes() -> None:
    found = watched.from_object(
        WorkloadKind.DEPLOYMENT, _deployment({H + "policy": "force"}, [("app", "r.local/web:1")])
    )
    assert found is not None
    [sub] = found.subscribers
    explained = explaining.explain_container(sub, ["1", "2"], tracked=True)
    assert explained.chosen is None
    assert "follows pushes" in explained.message


def test_the_cli_renders_one_line_per_tag() -> None:
    found = watched.from_object(WorkloadKind.DEPLOYMENT, WEB)
    assert found is not None
    app, _ = found.subscribers
    explanation = explaining.Explanation(
        workload=found.workload,
        containers=(explaining.explain_container(app, TAGS["r.local/web"], tracked=True),),
    )
    lines = cli_workloads.render(explanation).splitlines()
    assert lines[0] == "Deployment/team/web"
    assert lines[2] == "app: r.local/web:1.2.0 (policy minor)"
    marks = {line.split()[1].rstrip(":"): line.split()[0] for line in lines[4:]}
    assert marks == {"1.2.0": "-", "1.2.1": "→", "1.3.0": "-", "2.0.0": "-", "latest": "-"}
    assert any("1.3.0 [rejected]" in line for line in lines)


def test_the_cli_refuses_a_malformed_workload() -> None:
    result = CliRunner().invoke(cli.app, ["workload", "explain", "deployment/web"])
    assert result.exit_code == 2
    assert "KIND/NAMESPACE/NAME" in result.output
