"""The worker serves every workflow and every activity that the workflows call.

Neither mistake shows before run time: a workflow class left out of the worker never runs, and
an activity the workflows call but the worker does not serve sits in the task queue, retried by
nobody, while its workflow waits. Which activities are called is read from the workflow code
itself (every `names.X` handed to an activity call), and cross-checked with the activities the
recorded histories scheduled, so a call the reading misses still fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType
from unittest.mock import create_autospec

import pytest
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

import workflows
from activities.polling import PollingActivities
from clients import charts, oci
from clients.kube.client import Kube
from headwind import names
from headwind.index import ImageIndex
from tests.workflows.recording import HISTORIES
from worker import serving

ACTIVITY_CALLS = frozenset(
    {"execute_activity", "execute_local_activity", "start_activity", "start_local_activity"}
)
"""Temporal's ways to call an activity from workflow code (helpers forwarding to them count too)."""


def workflow_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{workflows.__name__}.{info.name}")
        for info in pkgutil.iter_modules(workflows.__path__)
    ]


def callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions(tree: ast.Module) -> list[Function]:
    return [n for n in ast.walk(tree) if isinstance(n, Function)]


def forwarding(function: Function, callers: set[str]) -> list[ast.Call]:
    """The calls in `function` that hand one of its own parameters on as the activity."""
    args = function.args
    own = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    return [
        call
        for call in ast.walk(function)
        if isinstance(call, ast.Call)
        and callee(call) in callers
        and call.args
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id in own
    ]


@dataclass
class Reading:
    called: set[str] = field(default_factory=set)
    """Activity names (the values of the `names` constants) the workflow code calls."""
    unreadable: list[str] = field(default_factory=list)
    """Activity calls whose activity is not a `names` constant: read them by hand, or fix them."""


def read_activity_calls(trees: dict[str, ast.Module]) -> Reading:
    """Every activity call in the workflow modules, through helpers such as `common.act`."""
    callers = set(ACTIVITY_CALLS)
    # A helper that passes its own parameter as the activity is a caller too (to a fixpoint,
    # for helpers of helpers); the activity is then read where the helper is called.
    while True:
        forwarders = {
            function.name
            for tree in trees.values()
            for function in functions(tree)
            if forwarding(function, callers)
        }
        if forwarders <= callers:
            break
        callers |= forwarders
    forwarded = {
        id(call)
        for tree in trees.values()
        for function in functions(tree)
        for call in forwarding(function, callers)
    }
    reading = Reading()
    for module, tree in trees.items():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or callee(call) not in callers:
                continue
            if id(call) in forwarded:
                continue
            first = call.args[0] if call.args else None
            if (
                isinstance(first, ast.Attribute)
                and isinstance(first.value, ast.Name)
                and first.value.id == "names"
                and hasattr(names, first.attr)
            ):
                reading.called.add(getattr(names, first.attr))
            else:
                reading.unreadable.append(f"{module}:{call.lineno}: {ast.unparse(call)[:80]}")
    return reading


TREES = {m.__name__: ast.parse(inspect.getsource(m)) for m in workflow_modules()}
READING = read_activity_calls(TREES)


def served_activities() -> list[str]:
    kube = create_autospec(Kube, instance=True)
    polling = PollingActivities(
        ImageIndex(),
        kube,
        create_autospec(oci.RegistryClient, instance=True),
        create_autospec(charts.HelmVersions, instance=True),
    )
    return [
        str(activity._Definition.must_from_callable(fn).name)
        for fn in serving.activities_for(kube, polling)
    ]


SERVED = served_activities()
REGISTERED_WORKFLOWS = {
    workflow._Definition.must_from_class(cls).name: cls for cls in serving.WORKFLOWS
}


def scheduled_in_histories() -> set[str]:
    scheduled = set()
    for path in HISTORIES.glob("*.json"):
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attributes = event.activity_task_scheduled_event_attributes
                scheduled.add(attributes.activity_type.name)
    return scheduled


def test_every_activity_call_names_its_activity_by_a_constant() -> None:
    assert READING.unreadable == []
    assert READING.called, "no activity call found in the workflow modules"


@pytest.mark.parametrize("name", sorted(READING.called))
def test_called_activity_is_served(name: str) -> None:
    assert name in SERVED


def test_the_reading_finds_every_activity_the_histories_scheduled() -> None:
    scheduled = scheduled_in_histories()
    assert scheduled, "no recorded history scheduled an activity"
    assert scheduled <= READING.called


def test_every_served_activity_is_called_once_registered() -> None:
    assert sorted(SERVED) == sorted(set(SERVED)), "an activity name is registered twice"
    assert set(SERVED) == READING.called, "the worker serves an activity no workflow calls"


@pytest.mark.parametrize(
    "cls",
    [
        obj
        for module in workflow_modules()
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and workflow._Definition.from_class(obj) is not None
    ],
    ids=lambda cls: cls.__name__,
)
def test_workflow_class_is_registered(cls: type) -> None:
    assert cls in serving.WORKFLOWS


@pytest.mark.parametrize(
    "constant", sorted(n for n in names.__all__ if n.endswith("_WORKFLOW")), ids=str
)
def test_workflow_type_named_in_names_is_registered(constant: str) -> None:
    """Starters, schedules and `request_slot` start workflows by these names."""
    assert getattr(names, constant) in REGISTERED_WORKFLOWS
