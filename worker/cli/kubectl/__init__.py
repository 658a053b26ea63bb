"""`kubectl headwind`: list, show, approve and reject updates through the Kubernetes API.

Installed as the console script `kubectl-headwind`, so kubectl finds it as a plugin. Approvals
are writes to an UpdateRequest's `spec.decision` with the user's own kubeconfig: the cluster's
RBAC says who may decide, its admission policy makes the recorded approver that user, and
Headwind forwards the decision to the workflow. `history`, `rollback` and `explain` need
Headwind's own API, reached through the apiserver's service proxy (or `--api-url`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer

from clients import headwind_api
from clients.kube import requests, watching
from clients.kube.client import TRANSPORT_ERRORS, Forbidden, Kube, KubeError, NotFound
from headwind.models import WorkloadKind
from worker.cli.kubectl import rendering
from worker.cli.kubectl.rendering import Output

__all__ = ["WatchPrinter", "app", "forbidden_message", "main", "parse_workload"]

T = TypeVar("T")

app = typer.Typer(
    name="kubectl-headwind",
    help=(
        "Headwind's updates from kubectl: list, show, approve, reject, history, rollback, "
        "explain.\n\nExamples:\n\n  kubectl headwind list -A\n\n"
        "  kubectl headwind approve web-nginx-1-27-1 -n prod\n\n"
        "  kubectl headwind reject web-nginx-1-27-1 -n prod --reason 'breaks TLS'"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)

_PROG = "kubectl headwind"


class _Flags:
    """kubectl's connection flags, shared by every command."""

    kubeconfig: str | None = None
    context: str | None = None


_flags = _Flags()


@app.callback()
def _root(
    kubeconfig: str | None = typer.Option(
        None, "--kubeconfig", envvar="KUBECONFIG", help="Path to the kubeconfig file."
    ),
    context: str | None = typer.Option(None, "--context", help="The kubeconfig context."),
) -> None:
    """Headwind's updates from kubectl."""
    _flags.kubeconfig = kubeconfig.split(":")[0] if kubeconfig else None
    _flags.context = context


NamespaceOpt = typer.Option(None, "-n", "--namespace", help="Namespace (default: the context's).")
OutputOpt = typer.Option(Output.TABLE, "-o", "--output", help="table, wide, json or yaml.")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _kube() -> Kube:
    try:
        return Kube.connect(_flags.kubeconfig, context=_flags.context)
    except Exception as exc:  # the kubernetes config loader raises several unrelated types
        _fail(f"cannot load the kubeconfig: {exc}")


def _namespace(namespace: str | None) -> str:
    return namespace or requests.kubeconfig_namespace(_flags.kubeconfig, _flags.context)


_RBAC = re.compile(r'cannot (?P<verb>\w+) resource "(?P<resource>[^"]+)"')


def forbidden_message(error: KubeError, namespace: str | None) -> str:
    """Which RBAC verb is missing, when the apiserver said so; its own words otherwise."""
    found = _RBAC.search(error.message)
    if not found:
        return f"forbidden: {error.message}"
    where = f' in namespace "{namespace}"' if namespace else " cluster-wide"
    role = "headwind-approver" if found["verb"] == "patch" else "headwind-viewer"
    return (
        f'forbidden: missing RBAC verb "{found["verb"]}" on {found["resource"]}{where} '
        f"(bind the ClusterRole {role} with a RoleBinding); the apiserver said: {error.message}"
    )


@contextmanager
def _errors(namespace: str | None, name: str | None = None) -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        if name:
            _fail(f'updaterequest "{name}" not found in namespace "{namespace}"')
        _fail(f"not found: {exc.message}")
    except Forbidden as exc:
        _fail(forbidden_message(exc, namespace))
    except KubeError as exc:
        _fail(exc.message)
    except TRANSPORT_ERRORS as exc:
        _fail(f"cannot reach the apiserver: {exc}")


def _requests(objects: list[dict[str, Any]]) -> list[requests.UpdateRequest]:
    return [requests.UpdateRequest.from_object(obj) for obj in objects]


@app.command("list")
def list_(
    namespace: str | None = NamespaceOpt,
    all_namespaces: bool = typer.Option(False, "-A", "--all-namespaces", help="Every namespace."),
    output: Output = OutputOpt,
    watch: bool = typer.Option(False, "-w", "--watch", help="Print changes as they happen."),
) -> None:
    """List update requests, pending first.

    Examples:

      kubectl headwind list

      kubectl headwind list -A -o wide

      kubectl headwind list -n prod -o json
    """
    scope = None if all_namespaces else _namespace(namespace)
    kube = _kube()
    with _errors(scope):
        objects = requests.list_requests(kube, scope)
    if output in (Output.JSON, Output.YAML):
        typer.echo(rendering.document(objects, output))
    else:
        text = rendering.table(
            _requests(objects), wide=output is Output.WIDE, namespaced=scope is not None
        )
        typer.echo(text or f"No update requests found in {scope or 'any namespace'}.")
    if watch:
        _watch(kube, scope, output)


class WatchPrinter:
    """`list -w`: after the table, one line (or document) per change, as `kubectl get -w`."""

    def __init__(self, output: Output, *, namespaced: bool) -> None:
        self._output = output
        self._namespaced = namespaced

    def listed(self, objects: list[dict[str, Any]]) -> None:
        """The initial list was printed already."""

    def changed(self, event_type: str, obj: dict[str, Any]) -> None:
        if self._output in (Output.JSON, Output.YAML):
            typer.echo(rendering.document(obj, self._output))
            return
        line = rendering.table(
            _requests([obj]),
            wide=self._output is Output.WIDE,
            namespaced=self._namespaced,
            header=False,
        )
        typer.echo(line)


def _watch(kube: Kube, scope: str | None, output: Output) -> None:
    watcher = watching.Watcher(
        kube,
        requests.collection_path(scope),
        WatchPrinter(output, namespaced=scope is not None),
    )
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop()


@app.command()
def show(
    name: str = typer.Argument(..., help="The UpdateRequest's name."),
    namespace: str | None = NamespaceOpt,
    output: Output = OutputOpt,
) -> None:
    """Show one update request: what, where it stands, who decided.

    Examples:

      kubectl headwind show web-nginx-1-27-1 -n prod

      kubectl headwind show web-nginx-1-27-1 -o yaml
    """
    scope = _namespace(namespace)
    with _errors(scope, name):
        obj = requests.get(_kube(), scope, name)
    if output in (Output.JSON, Output.YAML):
        typer.echo(rendering.document(obj, output))
    else:
        typer.echo(rendering.detail(requests.UpdateRequest.from_object(obj)))


def _decide(
    name: str, namespace: str | None, action: requests.Action, reason: str | None, wait: float
) -> None:
    scope = _namespace(namespace)
    kube = _kube()
    with _errors(scope, name):
        requests.get(kube, scope, name)
        who = requests.whoami(kube)
        if not who:
            _fail("the apiserver did not say who you are (SelfSubjectReview)")
        decision = requests.Decision(action=action, by=who, reason=reason)
        requests.decide(kube, scope, name, decision)
    typer.echo(f"updaterequest/{name} {action.value} by {who} written")
    answered = _await_answer(kube, scope, name, wait)
    if answered is None:
        typer.echo(f"no answer from Headwind within {wait:g}s; follow it: {_PROG} show {name}")
        return
    if answered.decision_outcome is requests.Outcome.IGNORED:
        typer.echo(f"ignored: {answered.message}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"accepted; phase {answered.phase}" + (f": {answered.message}" if answered.message else "")
    )


def _await_answer(
    kube: Kube, namespace: str, name: str, wait: float
) -> requests.UpdateRequest | None:
    """The request once Headwind handled the decision (None if it did not within `wait`).

    An accepted decision is followed a little longer, until the mirror leaves Pending: the
    decider answers as soon as the workflow took the decision, the mirror shows its next phase
    a moment later.
    """
    deadline = time.monotonic() + wait
    handled: requests.UpdateRequest | None = None
    while time.monotonic() < deadline:
        with _errors(namespace, name):
            current = requests.UpdateRequest.from_object(requests.get(kube, namespace, name))
        if current.decision_outcome is not None:
            handled = current
            moved = current.phase != "Pending"
            if current.decision_outcome is not requests.Outcome.ACCEPTED or moved:
                return current
        time.sleep(1)
    return handled


WaitOpt = typer.Option(30.0, "--wait", help="Seconds to wait for Headwind's answer (0: none).")


@app.command()
def approve(
    name: str = typer.Argument(..., help="The UpdateRequest's name."),
    namespace: str | None = NamespaceOpt,
    wait: float = WaitOpt,
) -> None:
    """Approve a pending update request as yourself (needs the headwind-approver role).

    Examples:

      kubectl headwind approve web-nginx-1-27-1 -n prod
    """
    _decide(name, namespace, requests.Action.APPROVE, None, wait)


@app.command()
def reject(
    name: str = typer.Argument(..., help="The UpdateRequest's name."),
    namespace: str | None = NamespaceOpt,
    reason: str | None = typer.Option(None, "--reason", help="Why (recorded)."),
    wait: float = WaitOpt,
) -> None:
    """Reject a pending update request; its tag is not proposed again.

    Examples:

      kubectl headwind reject web-nginx-1-27-1 -n prod --reason "breaks TLS"
    """
    _decide(name, namespace, requests.Action.REJECT, reason, wait)


def parse_workload(text: str) -> tuple[WorkloadKind, str]:
    """`KIND/NAME` as kubectl writes it (`deployment/web`, `deploy/web`, `hr/site`)."""
    kind, _, name = text.partition("/")
    if not kind or not name or "/" in name:
        raise typer.BadParameter(f"expected KIND/NAME, e.g. deployment/web; got {text!r}")
    try:
        return WorkloadKind.parse(kind), name
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


ApiUrlOpt = typer.Option(
    None, "--api-url", envvar="HEADWIND_API_URL", help="Headwind's API URL (default: proxy)."
)
TokenOpt = typer.Option(None, "--token", envvar="HEADWIND_API_TOKEN", help="Bearer token.")
ServiceOpt = typer.Option("headwind", "--service", help="Headwind's Service (proxy).")
ServiceNsOpt = typer.Option("headwind", "--headwind-namespace", help="Its namespace (proxy).")


def _api(
    api_url: str | None, token: str | None, service: str, service_namespace: str
) -> headwind_api.HeadwindApi:
    if api_url:
        return headwind_api.DirectApi(api_url, token)
    return headwind_api.ProxiedApi(_kube(), service_namespace, service)


def _call_api(action: Callable[[], T], namespace: str) -> T:
    try:
        return action()
    except headwind_api.ApiError as exc:
        if exc.status == 404:
            _fail(f"not found in namespace {namespace!r}: {exc.message}")
        if exc.status == 403 and "services/proxy" in exc.message:
            _fail(
                'forbidden: missing RBAC verb "get"/"create" on services/proxy of Headwind\'s '
                f"Service (or pass --api-url); the apiserver said: {exc.message}"
            )
        _fail(exc.message)


def _workload_path(kind: WorkloadKind, namespace: str, name: str) -> str:
    return f"/api/v1/workloads/{kind.value.lower()}/{namespace}/{name}"


@app.command()
def history(
    workload: str = typer.Argument(..., help="KIND/NAME, e.g. deployment/web"),
    namespace: str | None = NamespaceOpt,
    output: Output = OutputOpt,
    api_url: str | None = ApiUrlOpt,
    token: str | None = TokenOpt,
    service: str = ServiceOpt,
    service_namespace: str = ServiceNsOpt,
) -> None:
    """The update history of a workload, newest first (through Headwind's API).

    Examples:

      kubectl headwind history deployment/web -n prod
    """
    kind, name = parse_workload(workload)
    scope = _namespace(namespace)
    api = _api(api_url, token, service, service_namespace)
    path = _workload_path(kind, scope, name) + "/history"
    entries = _call_api(lambda: api.call("GET", path), scope)
    if output in (Output.JSON, Output.YAML):
        typer.echo(rendering.document({"items": entries}, output))
        return
    typer.echo(rendering.history_table(entries or []))


@app.command()
def rollback(
    workload: str = typer.Argument(..., help="KIND/NAME, e.g. deployment/web"),
    container: str = typer.Option(..., "--container", "-c", help="The container to roll back."),
    to: str | None = typer.Option(None, "--to", help="Tag or image (default: the previous)."),
    namespace: str | None = NamespaceOpt,
    output: Output = OutputOpt,
    api_url: str | None = ApiUrlOpt,
    token: str | None = TokenOpt,
    service: str = ServiceOpt,
    service_namespace: str = ServiceNsOpt,
) -> None:
    """Roll a container back to its previous image, or --to (through Headwind's API).

    Examples:

      kubectl headwind rollback deployment/web -c web -n prod

      kubectl headwind rollback deployment/web -c web --to 1.26.3
    """
    kind, name = parse_workload(workload)
    scope = _namespace(namespace)
    api = _api(api_url, token, service, service_namespace)
    body: dict[str, Any] = {"container": container}
    if to:
        body["to"] = to
    path = _workload_path(kind, scope, name) + "/rollback"
    result = _call_api(lambda: api.call("POST", path, body), scope)
    if output in (Output.JSON, Output.YAML):
        typer.echo(rendering.document(result, output))
    else:
        typer.echo(str(result.get("message") or result))


@app.command()
def explain(
    workload: str = typer.Argument(..., help="KIND/NAME, e.g. deployment/web"),
    namespace: str | None = NamespaceOpt,
    output: Output = OutputOpt,
    api_url: str | None = ApiUrlOpt,
    token: str | None = TokenOpt,
    service: str = ServiceOpt,
    service_namespace: str = ServiceNsOpt,
) -> None:
    """Why a workload is (not) updated: its policy, each container, each candidate's reason.

    Headwind's API lists the registry's tags for each tracked container and judges each with
    the workload's policy (`/explain`); requests already made show as the workload's
    UpdateRequests.

    Examples:

      kubectl headwind explain deployment/web -n prod
    """
    kind, name = parse_workload(workload)
    scope = _namespace(namespace)
    api = _api(api_url, token, service, service_namespace)
    watched = _call_api(lambda: api.call("GET", _workload_path(kind, scope, name)), scope)
    verdicts = _call_api(
        lambda: api.call("GET", _workload_path(kind, scope, name) + "/explain"), scope
    )
    selector = f"headwind.sh/target-kind={kind.value.lower()},headwind.sh/target-name={name[:63]}"
    with _errors(scope):
        candidates = requests.list_requests(_kube(), scope, label_selector=selector)
    if output in (Output.JSON, Output.YAML):
        document = {"watched": watched, "explanation": verdicts, "candidates": candidates}
        typer.echo(rendering.document(document, output))
        return
    typer.echo(rendering.explanation(watched, _requests(candidates)))
    typer.echo(rendering.verdicts(verdicts))


def main() -> None:
    app(prog_name=_PROG)
