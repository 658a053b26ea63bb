"""`kubectl headwind`: its tables, documents, argument handling and error messages.

Rendering is pure and tested on objects shaped as the apiserver returns them; the commands run
through Typer's runner with the plugin's Kubernetes client replaced by one that answers from a
dict, so no cluster is needed here (the e2e test runs the installed script against the real
apiserver).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

import worker.cli.kubectl as plugin
from clients.kube import requests as kube_requests
from clients.kube.client import Forbidden, KubeError, NotFound
from clients.kube.requests import UpdateRequest
from headwind.models import WorkloadKind
from worker.cli.kubectl import rendering
from worker.cli.kubectl.rendering import Output

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def ur(
    name: str,
    *,
    phase: str = "Pending",
    created: str = "2026-12-02T11:55:00Z",
    namespace: str = "prod",
    decision: dict[str, Any] | None = None,
    generation: int = 1,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "containerName": "web",
        "currentImage": "nginx:1.27.0",
        "newImage": "nginx:1.27.1",
        "policy": "patch",
        "workflowId": f"update/{namespace}/{name}",
    }
    if decision:
        spec["decision"] = decision
    status: dict[str, Any] = {"phase": phase, "message": f"{phase.lower()} message"}
    return {
        "apiVersion": "headwind.sh/v1alpha1",
        "kind": "UpdateRequest",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generation": generation,
            "creationTimestamp": created,
        },
        "spec": spec,
        "status": status,
    }


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        pytest.param("2026-12-02T11:59:15Z", "45s", id="45 seconds"),
        pytest.param("2026-12-02T11:48:00Z", "12m", id="12 minutes"),
        pytest.param("2026-12-02T10:30:00Z", "90m", id="under two hours in minutes"),
        pytest.param("2026-12-02T07:00:00Z", "5h", id="5 hours"),
        pytest.param("2026-11-28T12:00:00Z", "4d", id="4 days"),
        pytest.param("", "<unknown>", id="no timestamp"),
        pytest.param("2026-12-02T12:00:30Z", "0s", id="clock skew is not negative"),
    ],
)
def test_age_reads_like_kubectl(created: str, expected: str) -> None:
    assert rendering.age(created, NOW) == expected


def test_table_puts_pending_first_then_newest() -> None:
    objects = [
        ur("old-done", phase="Completed", created="2026-12-02T10:00:00Z"),
        ur("new-done", phase="Completed", created="2026-12-02T11:00:00Z"),
        ur("waiting", phase="Pending", created="2026-12-01T11:00:00Z"),
    ]
    text = rendering.table([UpdateRequest.from_object(o) for o in objects], now=NOW)
    lines = text.splitlines()
    assert lines[0].split() == ["NAME", "TARGET", "CONTAINER", "NEW", "PHASE", "AGE"]
    assert [line.split()[0] for line in lines[1:]] == ["waiting", "new-done", "old-done"]
    assert lines[1].split() == ["waiting", "Deployment/web", "web", "1.27.1", "Pending", "25h"]


@pytest.mark.parametrize(
    ("wide", "namespaced", "header"),
    [
        pytest.param(
            False, True, ["NAME", "TARGET", "CONTAINER", "NEW", "PHASE", "AGE"], id="table"
        ),
        pytest.param(
            False,
            False,
            ["NAMESPACE", "NAME", "TARGET", "CONTAINER", "NEW", "PHASE", "AGE"],
            id="-A adds NAMESPACE",
        ),
        pytest.param(
            True,
            True,
            [
                "NAME",
                "TARGET",
                "CONTAINER",
                "NEW",
                "PHASE",
                "AGE",
                "CURRENT",
                "POLICY",
                "DECISION",
                "BY",
                "MESSAGE",
            ],
            id="wide",
        ),
    ],
)
def test_table_columns(wide: bool, namespaced: bool, header: list[str]) -> None:
    request = UpdateRequest.from_object(
        ur("r", decision={"action": "approve", "by": "alice"}, generation=2)
    )
    text = rendering.table([request], now=NOW, wide=wide, namespaced=namespaced)
    first, second = text.splitlines()
    assert first.split() == header
    if wide:
        assert second.split()[6:10] == ["1.27.0", "patch", "approve", "alice"]


def test_columns_line_up() -> None:
    objects = [ur("a-much-longer-name"), ur("b")]
    lines = rendering.table([UpdateRequest.from_object(o) for o in objects], now=NOW).splitlines()
    starts = {line.index(line.split()[1]) for line in lines}
    assert len(starts) == 1


@pytest.mark.parametrize("output", [Output.JSON, Output.YAML], ids=["json", "yaml"])
def test_documents_parse_back(output: Output) -> None:
    objects = [ur("a"), ur("b")]
    text = rendering.document(objects, output)
    parsed = json.loads(text) if output is Output.JSON else yaml.safe_load(text)
    assert parsed == {"apiVersion": "v1", "kind": "List", "items": objects}
    one = rendering.document(objects[0], output)
    assert (json.loads(one) if output is Output.JSON else yaml.safe_load(one)) == objects[0]


def test_detail_shows_the_decision_and_skips_empty_fields() -> None:
    request = UpdateRequest.from_object(
        ur("r", decision={"action": "reject", "by": "bob", "reason": "breaks TLS"})
    )
    text = rendering.detail(request, now=NOW)
    assert "Decision:" in text
    assert "reject by bob: breaks TLS" in text
    assert "Approved by" not in text
    assert "Target:" in text
    assert "Deployment/web" in text


@pytest.mark.parametrize(
    ("generation", "status", "undecided"),
    [
        pytest.param(2, {}, True, id="new decision"),
        pytest.param(
            2, {"observedGeneration": 2, "decisionOutcome": "Accepted"}, False, id="accepted"
        ),
        pytest.param(
            2, {"observedGeneration": 2, "decisionOutcome": "Ignored"}, False, id="ignored"
        ),
        pytest.param(
            3,
            {"observedGeneration": 2, "decisionOutcome": "Accepted"},
            False,
            id="the mirror changed the spec after the answer",
        ),
    ],
)
def test_undecided_decision(generation: int, status: dict[str, Any], undecided: bool) -> None:
    obj = ur("r", decision={"action": "approve", "by": "a"}, generation=generation)
    obj["status"] |= status
    assert (UpdateRequest.from_object(obj).undecided_decision is not None) is undecided


def test_no_decision_is_never_undecided() -> None:
    assert UpdateRequest.from_object(ur("r", generation=5)).undecided_decision is None


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        pytest.param("deployment/web", WorkloadKind.DEPLOYMENT, "web", id="deployment"),
        pytest.param("deploy/web", WorkloadKind.DEPLOYMENT, "web", id="short name"),
        pytest.param("StatefulSet/db", WorkloadKind.STATEFULSET, "db", id="kind as written"),
        pytest.param("helmrelease/site", WorkloadKind.HELMRELEASE, "site", id="helmrelease"),
    ],
)
def test_workload_argument(text: str, kind: WorkloadKind, name: str) -> None:
    assert plugin.parse_workload(text) == (kind, name)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("web", id="no kind"),
        pytest.param("deployment/", id="no name"),
        pytest.param("deployment/prod/web", id="namespace belongs in -n"),
        pytest.param("pod/web", id="unknown kind"),
    ],
)
def test_bad_workload_argument(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        plugin.parse_workload(text)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            'updaterequests.headwind.sh "r" is forbidden: User "eve" cannot patch resource '
            '"updaterequests" in API group "headwind.sh" in the namespace "prod"',
            'missing RBAC verb "patch" on updaterequests in namespace "prod" '
            "(bind the ClusterRole headwind-approver",
            id="patch names the approver role",
        ),
        pytest.param(
            'User "eve" cannot list resource "updaterequests" in API group "headwind.sh"',
            'missing RBAC verb "list" on updaterequests in namespace "prod" '
            "(bind the ClusterRole headwind-viewer",
            id="list names the viewer role",
        ),
        pytest.param(
            "ValidatingAdmissionPolicy 'headwind-decisions' denied request",
            "forbidden: ValidatingAdmissionPolicy",
            id="admission denial in its own words",
        ),
    ],
)
def test_forbidden_message(message: str, expected: str) -> None:
    assert expected in plugin.forbidden_message(Forbidden(403, message), "prod")


class FakeKube:
    """Answers the plugin's requests from a dict of objects, or with a given error."""

    def __init__(self, objects: dict[str, dict[str, Any]], error: KubeError | None = None) -> None:
        self.objects = objects
        self.error = error
        self.patches: list[tuple[str, Any]] = []

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def get(self, path: str) -> dict[str, Any]:
        self._raise()
        name = path.rsplit("/", 1)[-1]
        if name not in self.objects:
            raise NotFound(404, f"{name} not found")
        return self.objects[name]

    def list(self, path: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        self._raise()
        return list(self.objects.values())

    def create(self, path: str, body: Any) -> dict[str, Any]:
        return {"status": {"userInfo": {"username": "alice"}}}

    def merge_patch(self, path: str, body: Any) -> dict[str, Any]:
        self._raise()
        self.patches.append((path, body))
        name = path.rsplit("/", 1)[-1]
        patched: dict[str, Any] = json.loads(json.dumps(self.objects[name]))
        patched["spec"].update(body["spec"])
        patched["metadata"]["generation"] += 1
        return patched


def run(fake: FakeKube, *args: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(plugin, "_kube", lambda: fake)
    monkeypatch.setattr(kube_requests, "kubeconfig_namespace", lambda *_: "prod")
    return CliRunner().invoke(plugin.app, list(args))


@pytest.mark.parametrize(
    ("args", "error", "code", "expected"),
    [
        pytest.param(
            ("show", "nope"),
            None,
            1,
            'updaterequest "nope" not found in namespace "prod"',
            id="not found names the namespace",
        ),
        pytest.param(
            ("approve", "r", "-n", "team-a"),
            Forbidden(403, 'User "eve" cannot get resource "updaterequests" in API group'),
            1,
            'missing RBAC verb "get" on updaterequests in namespace "team-a"',
            id="forbidden names the verb",
        ),
        pytest.param(("list", "-o", "xml"), None, 2, "Invalid value for '-o'", id="unknown output"),
        pytest.param(
            ("rollback", "web", "-c", "web"), None, 2, "expected KIND/NAME", id="bad workload"
        ),
    ],
)
def test_command_errors(
    args: tuple[str, ...],
    error: KubeError | None,
    code: int,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(FakeKube({"r": ur("r")}, error), *args, monkeypatch=monkeypatch)
    assert result.exit_code == code, result.output
    assert expected in result.output


def test_list_prints_a_table_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKube({"r": ur("r")})
    table = run(fake, "list", monkeypatch=monkeypatch)
    assert table.exit_code == 0
    assert table.output.split()[:6] == [
        "NAME",
        "TARGET",
        "CONTAINER",
        "NEW",
        "PHASE",
        "AGE",
    ]
    as_json = run(fake, "list", "-o", "json", monkeypatch=monkeypatch)
    assert json.loads(as_json.output)["items"][0]["metadata"]["name"] == "r"


def test_approve_writes_the_callers_own_name(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKube({"r": ur("r")})
    result = run(fake, "approve", "r", "--wait", "0", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert fake.patches == [
        (
            "/apis/headwind.sh/v1alpha1/namespaces/prod/updaterequests/r",
            {"spec": {"decision": {"action": "approve", "by": "alice"}}},
        )
    ]


def test_reject_carries_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKube({"r": ur("r")})
    run(fake, "reject", "r", "--reason", "breaks TLS", "--wait", "0", monkeypatch=monkeypatch)
    assert fake.patches[0][1] == {
        "spec": {"decision": {"action": "reject", "by": "alice", "reason": "breaks TLS"}}
    }


@pytest.mark.parametrize(
    "command", ["list", "show", "approve", "reject", "history", "rollback", "explain"]
)
def test_every_command_has_help_with_examples(command: str) -> None:
    result = CliRunner().invoke(plugin.app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "kubectl headwind " + command in result.output


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param([], ["No history recorded."], id="none"),
        pytest.param(
            [
                {
                    "container": "web",
                    "image": "nginx:1.27.1",
                    "previousImage": "nginx:1.27.0",
                    "at": "2026-12-02T11:00:00Z",
                    "kind": "update",
                    "by": "alice",
                }
            ],
            [
                "AT KIND CONTAINER IMAGE PREVIOUS BY",
                "2026-12-02T11:00:00Z update web nginx:1.27.1 nginx:1.27.0 alice",
            ],
            id="an approved update",
        ),
        pytest.param(
            [{"container": "web", "image": "nginx:1.27.0", "at": "2026-12-02T12:00:00Z"}],
            [
                "AT KIND CONTAINER IMAGE PREVIOUS BY",
                "2026-12-02T12:00:00Z update web nginx:1.27.0 <none> <none>",
            ],
            id="a hand-edited entry",
        ),
    ],
)
def test_history_table(entries: list[dict[str, Any]], expected: list[str]) -> None:
    lines = rendering.history_table(entries).splitlines()
    assert [" ".join(line.split()) for line in lines] == expected


def test_explanation_lists_containers_and_candidates() -> None:
    watched = {
        "kind": "Deployment",
        "namespace": "prod",
        "name": "web",
        "policy": "minor",
        "pattern": None,
        "require_approval": True,
        "containers": [
            {"name": "web", "image": "nginx:1.27.0", "tracked": True},
            {"name": "sidecar", "image": "envoy", "tracked": False, "note": "no tag"},
        ],
        "problems": [],
    }
    candidates = [UpdateRequest.from_object(ur("r", phase="Rejected"))]
    assert rendering.explanation(watched, candidates).splitlines() == [
        "Deployment/web in prod: policy minor, approval required",
        "  container web (nginx:1.27.0): tracked",
        "  container sidecar (envoy): not tracked: no tag",
        "  candidate 1.27.1 for web: Rejected — rejected message",
    ]


def test_an_ignored_decision_exits_1_with_headwind_s_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Answered(FakeKube):
        def get(self, path: str) -> dict[str, Any]:
            obj = super().get(path)
            if self.patches:
                obj = json.loads(json.dumps(obj))
                obj["metadata"]["generation"] = 2
                obj["status"] |= {
                    "phase": "Rejected",
                    "observedGeneration": 2,
                    "decisionOutcome": "Ignored",
                    "message": "approve by alice changed nothing: it is Rejected",
                }
            return obj

    result = run(Answered({"r": ur("r")}), "approve", "r", "--wait", "5", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "ignored: approve by alice changed nothing" in result.output


@pytest.mark.parametrize(
    ("output", "first_word"),
    [
        pytest.param(Output.TABLE, "r", id="a table row without header"),
        pytest.param(Output.JSON, "{", id="the object as JSON"),
    ],
)
def test_watch_prints_one_entry_per_change(
    output: Output, first_word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    printer = plugin.WatchPrinter(output, namespaced=True)
    printer.listed([ur("r")])
    printer.changed("MODIFIED", ur("r", phase="Approved"))
    printed = capsys.readouterr().out
    assert printed.split()[0] == first_word
    assert "Approved" in printed
    assert "NAME" not in printed


def test_an_empty_list_says_where_it_looked(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(FakeKube({}), "list", monkeypatch=monkeypatch)
    assert result.exit_code == 0
    assert result.output.strip() == "No update requests found in prod."


def test_verdicts_mark_the_chosen_tag_and_say_why_for_the_others() -> None:
    explanation = {
        "containers": [
            {
                "container": "web",
                "current": "1.2.3",
                "policy": "minor",
                "chosen": "1.3.0",
                "reason": "chosen",
                "message": "",
                "candidates": [
                    {"tag": "1.3.0", "eligible": True, "chosen": True, "reason": "chosen",
                     "message": "the greatest"},
                    {"tag": "2.0.0", "eligible": False, "chosen": False, "reason": "other-major",
                     "message": "major differs"},
                    {"tag": "1.2.9", "eligible": False, "chosen": False,
                     "reason": "rejected-earlier", "message": "rejected", "remembered": "rejected"},
                ],
            }
        ]
    }  # fmt: skip
    assert rendering.verdicts(explanation).splitlines() == [
        "web: runs 1.2.3, policy minor: would move to 1.3.0",
        "  * 1.3.0: chosen — the greatest",
        "  - 2.0.0: other-major — major differs",
        "  - 1.2.9: rejected-earlier [rejected] — rejected",
    ]


def test_show_prints_the_links_the_mirror_wrote() -> None:
    obj = {
        "metadata": {"name": "r", "namespace": "shop"},
        "spec": {"targetRef": {"kind": "Deployment", "name": "web"}, "workflowId": "wf"},
        "status": {
            "phase": "Pending",
            "links": {"ui": "https://hw/updates/shop/r", "temporal": "https://t/w/wf"},
        },
    }
    shown = rendering.detail(UpdateRequest.from_object(obj))
    lines = shown.splitlines()
    assert any(line.startswith("Web UI:") and "https://hw/updates/shop/r" in line for line in lines)
    assert any(line.startswith("Temporal:") and "https://t/w/wf" in line for line in lines)
