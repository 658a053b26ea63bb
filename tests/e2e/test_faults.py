"""The fault suite: a fault at every phase an update can be caught in, then the invariants.

Each case runs its own `headwind run` (worker + API on a task queue of its own), drives one
update into a phase, injects a fault there, lets it recover, and checks what must hold after
any fault: the update ends in the right terminal phase, the workload is patched at most once
(its history says how often), nothing is lost, and the container is free for the next update.

CI runs every fault once per phase. `HEADWIND_FAULT_RUNS=20` runs each case that many times,
with a random delay before the fault; `HEADWIND_FAULT_REPORT=FILE` appends one JSON line per
run, from which docs/reliability.md's table is written.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus

from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli, read_status
from tests.e2e.polling import wait_for
from tests.e2e.test_durability import Headwind

pytestmark = pytest.mark.e2e

REPO = "127.0.0.1:5000/e2e/faults"
RUNS = int(os.environ.get("HEADWIND_FAULT_RUNS", "1"))
REPORT = os.environ.get("HEADWIND_FAULT_REPORT")


@dataclass(frozen=True)
class Scenario:
    """How to bring an update into one phase, and where it must end."""

    phase: str
    annotations: dict[str, str]
    tag: str
    final: str
    image_after: str
    history: list[str]
    """`kind` of each history entry, newest first: the workload was patched exactly so."""
    approve: bool = False


SCENARIOS = {
    "Waiting": Scenario(
        phase="Waiting",
        annotations={"headwind.sh/require-approval": "false", "headwind.sh/min-age": "20s"},
        tag="1.1.0",
        final="Completed",
        image_after=f"{REPO}:1.1.0",
        history=["update"],
    ),
    "Pending": Scenario(
        phase="Pending",
        annotations={},
        tag="1.1.0",
        final="Completed",
        image_after=f"{REPO}:1.1.0",
        history=["update"],
        approve=True,
    ),
    "Monitoring": Scenario(
        phase="Monitoring",
        annotations={
            "headwind.sh/require-approval": "false",
            "headwind.sh/auto-rollback": "true",
            "headwind.sh/rollback-timeout": "40s",
        },
        # `all` ignores variants: the kwok suffix -neverready is one. It never gets Ready, so
        # the update is rolled back when rollback-timeout passes.
        tag="1.1.0-neverready",
        final="RolledBack",
        image_after=f"{REPO}:1.0.0",
        history=["rollback", "update"],
    ),
}


def _stop_component(dev_env: DevStatus, name: str, signum: int) -> None:
    pid = read_status(Path(dev_env.state_dir)).processes[name].pid
    assert pid is not None, f"{name} is not running"
    os.kill(pid, signum)
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"{name} (pid {pid}) did not stop"
        time.sleep(0.2)


def _start_components(dev_env: DevStatus) -> None:
    started = subprocess.run(
        [*headwind_cli(), "dev", "up", "--detach", "--state-dir", dev_env.state_dir],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert started.returncode == 0, started.stderr


Fault = Callable[[DevStatus, Headwind], None]


def kill_headwind(dev_env: DevStatus, headwind: Headwind) -> None:
    """kill -9 of Headwind (worker and API in one process), then a new one."""
    headwind.kill()
    headwind.start()


def kill_temporal(dev_env: DevStatus, headwind: Headwind) -> None:
    """kill -9 of the Temporal server (not a clean stop), then it starts again."""
    _stop_component(dev_env, "temporal", signal.SIGKILL)
    _start_components(dev_env)


def kill_apiserver(dev_env: DevStatus, headwind: Headwind) -> None:
    """kill -9 of the kube-apiserver (a graceful stop drains watches for a minute), then it
    starts again: watches break, activities meet connection errors, Leases cannot renew."""
    _stop_component(dev_env, "kube-apiserver", signal.SIGKILL)
    _start_components(dev_env)


FAULTS: dict[str, Fault] = {
    "kill -9 headwind": kill_headwind,
    "kill -9 temporal": kill_temporal,
    "kill -9 apiserver": kill_apiserver,
}


@pytest.fixture
def headwind(dev_env: DevStatus, tmp_path: Path) -> Iterator[Headwind]:
    process = Headwind(dev_env, tmp_path / "headwind.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _get(url: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(url, timeout=30)
    except httpx.HTTPError:
        return None  # a process or a server is coming back
    if response.status_code != 200:
        return None
    body: dict[str, Any] = response.json()
    return body


def _propose(headwind: Headwind, namespace: str, tag: str) -> str:
    body = {"kind": "Deployment", "namespace": namespace, "name": "web", "container": "main"}
    response = httpx.post(f"{headwind.url}/api/v1/updates", json={**body, "tag": tag}, timeout=60)
    assert response.status_code == 202, response.text
    request: str = response.json()["request_name"]
    return request


def _phase_of(headwind: Headwind, namespace: str, request: str) -> Callable[[], str | None]:
    def phase() -> str | None:
        status = _get(f"{headwind.url}/api/v1/updates/{namespace}/{request}")
        return None if status is None else str(status["phase"])

    return phase


def _report(case: str, outcome: dict[str, Any]) -> None:
    if REPORT:
        with Path(REPORT).open("a") as out:
            out.write(json.dumps({"case": case, **outcome}) + "\n")


@pytest.mark.parametrize("run", range(RUNS), ids=lambda r: f"run{r}")
@pytest.mark.parametrize("phase", sorted(SCENARIOS))
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_in_a_phase_loses_nothing_and_applies_once(
    dev_env: DevStatus,
    headwind: Headwind,
    kube: Kube,
    namespace: str,
    fault: str,
    phase: str,
    run: int,
) -> None:
    scenario = SCENARIOS[phase]
    manifest = manifests.deployment("web", f"{REPO}:1.0.0", 1)
    manifest["metadata"]["annotations"] = {
        "headwind.sh/policy": "all",
        "headwind.sh/min-update-interval": "0",
        **scenario.annotations,
    }
    kube.apps.create_namespaced_deployment(namespace, manifest)
    request = _propose(headwind, namespace, scenario.tag)
    phase_of = _phase_of(headwind, namespace, request)
    wait_for(phase_of, lambda p: p == scenario.phase, what=f"{request} to reach {phase}")

    if RUNS > 1:
        time.sleep(random.uniform(0, 3))
    FAULTS[fault](dev_env, headwind)

    if scenario.approve:
        approved = wait_for(
            lambda: _try_approve(headwind, namespace, request),
            lambda code: code in (200, 409),
            what="an approval after the fault",
            timeout=180,
            interval=2,
        )
        assert approved == 200
    final = wait_for(
        phase_of,
        lambda p: p in {"Completed", "RolledBack", "Failed", "Expired", "Stale", "Skipped"},
        what=f"{request} to finish after {fault}",
        timeout=240,
        interval=1,
    )
    deployment = kube.apps.read_namespaced_deployment("web", namespace)
    history = json.loads(deployment.metadata.annotations.get("headwind.sh/update-history", "[]"))
    kinds = [entry["kind"] for entry in history]
    _report(
        f"{fault} @ {phase}",
        {"final": final, "expected": scenario.final, "history": kinds, "run": run},
    )
    assert final == scenario.final
    assert deployment.spec.template.spec.containers[0].image == scenario.image_after
    assert kinds == scenario.history, "patched more (or less) often than once per step"

    # Nothing holds the container: the next candidate gets its turn at once.
    following = _propose(headwind, namespace, "2.0.0")
    reached = wait_for(
        _phase_of(headwind, namespace, following),
        lambda p: p not in (None, "Evaluating"),
        what="the next update to leave Evaluating (its container's slot is free)",
        timeout=90,
    )
    assert reached != "Superseded"


def _try_approve(headwind: Headwind, namespace: str, request: str) -> int:
    try:
        response = httpx.post(
            f"{headwind.url}/api/v1/updates/{namespace}/{request}/approve",
            json={"approver": "after-the-fault"},
            timeout=90,
        )
    except httpx.HTTPError:
        return 0
    return response.status_code


def test_a_webhook_while_temporal_is_down_is_refused_and_its_retry_lands(
    dev_env: DevStatus, kube: Kube, namespace: str
) -> None:
    """The sender is told to come back (503 + Retry-After); nothing is half-accepted."""
    image = f"{REPO}-webhook-{namespace[-6:]}"
    manifest = manifests.deployment("web", f"{image}:1.0.0", 1)
    manifest["metadata"]["annotations"] = {
        "headwind.sh/policy": "minor",
        "headwind.sh/require-approval": "false",
        "headwind.sh/min-update-interval": "0",
    }
    kube.apps.create_namespaced_deployment(namespace, manifest)
    with httpx.Client(base_url=dev_env.api_url, timeout=60) as api:
        auth = {"Authorization": f"Bearer {dev_env.webhook_token}"}

        def matched() -> int:
            probe = api.post("/webhook/native", json={"image": f"{image}:1.0.0"}, headers=auth)
            return int(probe.json().get("matched", 0)) if probe.status_code == 202 else 0

        wait_for(matched, lambda n: n >= 1, what="the index to hold the workload")

        _stop_component(dev_env, "temporal", signal.SIGKILL)
        try:
            refused = api.post("/webhook/native", json={"image": f"{image}:1.1.0"}, headers=auth)
            assert refused.status_code == 503, refused.text
            assert refused.headers.get("Retry-After")
        finally:
            _start_components(dev_env)

        retried = wait_for(
            lambda: api.post("/webhook/native", json={"image": f"{image}:1.1.0"}, headers=auth),
            lambda r: r.status_code == 202,
            what="the sender's retry to be accepted",
            timeout=120,
            interval=2,
        )
        assert retried.json()["proposed"] == 1
        wait_for(
            lambda: (
                kube.apps.read_namespaced_deployment("web", namespace)
                .spec.template.spec.containers[0]
                .image
            ),
            lambda current: current == f"{image}:1.1.0",
            what="the retried push to be applied",
            timeout=120,
        )
