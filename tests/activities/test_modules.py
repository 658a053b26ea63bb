"""Every module under `activities/` defines a Temporal activity.

The package holds activity definitions only: clients belong in `clients/`, pure rules in the
domain core (`headwind/`). A module here without an activity is in the wrong place.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pytest
from temporalio import activity

import activities


def modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages(activities.__path__, f"{activities.__name__}.")
    )


def defined_here(module: ModuleType) -> Iterator[object]:
    """Functions and class members that the module itself defines (not ones it imports)."""
    for obj in vars(module).values():
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            yield from vars(obj).values()
        else:
            yield obj


def activity_names(module: ModuleType) -> list[str]:
    found = []
    for obj in defined_here(module):
        definition = activity._Definition.from_callable(obj) if callable(obj) else None
        if definition is not None:
            found.append(str(definition.name))
    return found


def test_the_package_has_modules() -> None:
    assert modules()


@pytest.mark.parametrize("name", modules())
def test_module_defines_an_activity(name: str) -> None:
    assert activity_names(importlib.import_module(name)), f"{name} defines no activity"
