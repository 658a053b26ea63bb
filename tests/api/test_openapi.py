"""The OpenAPI schema tells the truth: every error declared with one model, and no answer it hides.

The property-based part lets schemathesis generate requests from the schema (valid and
invalid ones) against the app with fakes behind Temporal and the apiserver: no answer may be a
5xx other than the declared 503/504, and every answer must match what the schema declares for
its status. It is bounded in examples so it runs in the normal test run.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from starlette.types import Receive, Scope, Send

from headwind.models import WorkloadKind, WorkloadRef
from tests.api.api_support import FakeCluster, FakeUpdates, build, deployment

SHOP = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="shop", name="web")
API = build(
    updates=FakeUpdates(requests=None),
    cluster=FakeCluster(objects={SHOP: deployment(container="web")}),
)
"""Every update request exists and Deployment shop/web (the schema's examples) does, so
generated requests get past the door and reach the fakes."""
SCHEMA = API.app.openapi()


async def _without_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    """The app, minus its lifespan: the fakes are in place, nothing is to be opened."""
    if scope["type"] == "lifespan":
        raise RuntimeError("no lifespan: the test app has its services already")
    await API.app(scope, receive, send)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in SCHEMA["paths"].items()
        for method, operation in methods.items()
    ]


OPERATIONS = [pytest.param(path, op, id=f"{method} {path}") for method, path, op in _operations()]


@pytest.mark.parametrize(("path", "operation"), OPERATIONS)
def test_every_declared_error_is_an_error_out(path: str, operation: dict[str, Any]) -> None:
    for code, response in operation["responses"].items():
        if int(code) < 400:
            continue
        model = "Readiness" if (path, code) == ("/readyz", "503") else "ErrorOut"
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, code


REST = [
    pytest.param(op, id=f"{method} {path}")
    for method, path, op in _operations()
    if path.startswith(("/api/", "/webhook/"))
]


@pytest.mark.parametrize("operation", REST)
def test_every_route_with_input_declares_422_and_its_refusals(operation: dict[str, Any]) -> None:
    declared = set(operation["responses"])
    assert "422" in declared
    if "requestBody" in operation:
        assert {"400", "413"} <= declared
    if any(p["name"] == "namespace" for p in operation.get("parameters", [])):
        assert "403" in declared or "workloads" in str(operation.get("tags"))


def test_no_schema_of_fastapi_default_validation_errors_remains() -> None:
    assert "HTTPValidationError" not in SCHEMA["components"]["schemas"]


CHECKS = {
    # Requests valid by the schema may still be refused as invalid, and invalid ones accepted:
    # some rules depend on the kind (a CronJob's name is at most 52 characters, a chart
    # version may hold `+`) and kinds are accepted by their short names (`deploy`).
    "positive_data_acceptance": {"enabled": False},
    "negative_data_rejection": {"enabled": False},
    # The fakes are up, so no answer is a 5xx; a 503 or 504 would be a bug here.
    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx"]},
}
schema = schemathesis.openapi.from_dict(
    SCHEMA, config=SchemathesisConfig.from_dict({"checks": CHECKS})
)
schema.app = _without_lifespan


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_gets_an_undeclared_answer(case: schemathesis.Case[Any]) -> None:
    response = case.call_and_validate()
    if "rollback" in case.path:
        print("CASE", case.path_parameters, case.body, response.status_code, response.text[:150])
