"""Fakes for the poll activity's unit tests: a Kubernetes API of plain dicts, Secrets."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clients.kube.client import Conflict, NotFound

JsonObj = dict[str, Any]


@dataclass
class FakeKube:
    """Objects by REST path; GETs and JSON patches are recorded."""

    objects: dict[str, JsonObj] = field(default_factory=dict)
    gets: list[str] = field(default_factory=list)
    patches: list[tuple[str, list[Mapping[str, Any]]]] = field(default_factory=list)
    conflict_on_patch: bool = False

    def get(self, path: str) -> JsonObj:
        self.gets.append(path)
        if path not in self.objects:
            raise NotFound(404, f"{path} not found")
        return self.objects[path]

    def json_patch(self, path: str, ops: Sequence[Mapping[str, Any]]) -> JsonObj:
        if self.conflict_on_patch:
            raise Conflict(422, "the test operation failed")
        self.patches.append((path, list(ops)))
        return self.objects[path]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def docker_config_secret(registry: str, username: str, password: str) -> JsonObj:
    config = {"auths": {registry: {"auth": b64(f"{username}:{password}")}}}
    return {
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": b64(json.dumps(config))},
    }


def basic_auth_secret(username: str, password: str) -> JsonObj:
    return {"data": {"username": b64(username), "password": b64(password)}}
