"""Headwind's cost per update, measured on the local environment (`bench/run`).

Each scenario drives the real stack — the API's webhooks, the Temporal dev server, the worker,
kube-apiserver with kwok — the way a registry and users would, and reports what it saw: how
long from a push to the patched Deployment, how fast many updates drain, whether a burst of
webhooks loses or duplicates anything, what `headwind run` costs in memory and CPU, how many
Temporal history events and apiserver requests one update takes. Timings depend on the machine
and on what else runs on it, so every run records the commit and the load average, and nothing
here asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from headwind_dev import push as dev_push
from headwind_dev import uploading
from headwind_dev.settings import PORT_ENV_PREFIX, Ports
from headwind_dev.status import DevStatus
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client

from bench import load
from bench.report import Figure
from headwind import names, naming
from headwind.models import WorkloadKind, WorkloadRef

__all__ = ["SCENARIOS", "Bench", "Options", "environment"]

REPOSITORY = "bench.headwind.invalid/bench"
"""Images of the benchmark's Deployments: never pulled (kwok runs no containers)."""

ANNOTATIONS = {
    "headwind.sh/policy": "patch",
    "headwind.sh/min-update-interval": "0",
    "headwind.sh/auto-rollback": "false",
    "headwind.sh/require-approval": "false",
}

BURST_CONNECTIONS = 100


@dataclass(frozen=True)
class Options:
    quick: bool
    repeats: int
    drain: int = 200
    burst: int = 1_000
    burst_matched: int = 200
    intake_seconds: float = 10
    workloads: tuple[int, ...] = ()


def _cli() -> list[str]:
    script = Path(sysconfig.get_path("scripts")) / "headwind"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "worker.cli"]


def read_status(state_dir: Path) -> DevStatus:
    out = subprocess.run(
        [*_cli(), "dev", "status", "--json", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return DevStatus.model_validate_json(out.stdout)


def _free_ports() -> dict[str, int]:
    with contextlib.ExitStack() as stack:
        ports = {}
        for name in Ports.names():
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports[name] = sock.getsockname()[1]
        return ports


@contextlib.contextmanager
def environment(state_dir: Path | None, *, keep: bool) -> Iterator[DevStatus]:
    """A running environment: the one in `state_dir` if it runs, else a new one on free ports."""
    if state_dir is not None and (state_dir / "env.json").is_file():
        status = read_status(state_dir)
        if status.running:
            print(f"bench: reusing the environment in {state_dir}", file=sys.stderr)
            yield status
            return
    fresh = state_dir is None
    state_dir = state_dir or Path(tempfile.mkdtemp(prefix="headwind-bench-"))
    env = dict(os.environ)
    env.pop("HEADWIND_STATE_DIR", None)
    if fresh:
        env.update({PORT_ENV_PREFIX + n.upper(): str(p) for n, p in _free_ports().items()})
    print(f"bench: starting an environment in {state_dir}", file=sys.stderr)
    subprocess.run(
        [*_cli(), "dev", "up", "--detach", "--state-dir", str(state_dir)],
        check=True,
        env=env,
        stdout=sys.stderr,
    )
    try:
        yield read_status(state_dir)
    finally:
        if not keep:
            subprocess.run(
                [*_cli(), "dev", "down", "--state-dir", str(state_dir)],
                check=False,
                capture_output=True,
                timeout=180,
            )


def deployment(name: str, image: str, annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            # Zero replicas: the benchmark measures Headwind, not the scheduler or kwok.
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


class ImageWatch:
    """When each Deployment of a namespace first showed each image (one watch, one thread)."""

    def __init__(self, apps: Any, namespace: str) -> None:
        self._apps = apps
        self._namespace = namespace
        self._seen: dict[tuple[str, str], float] = {}
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()

    def __enter__(self) -> ImageWatch:
        self._thread.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()

    def _run(self) -> None:
        listed = self._apps.list_namespaced_deployment(self._namespace)
        for obj in listed.items:
            self._note(obj)
        version = listed.metadata.resource_version
        self._ready.set()
        while not self._stop.is_set():
            watcher = k8s_watch.Watch()  # type: ignore[no-untyped-call]
            for event in watcher.stream(  # type: ignore[no-untyped-call]
                self._apps.list_namespaced_deployment,
                self._namespace,
                resource_version=version,
                timeout_seconds=5,
            ):
                obj = event["object"]
                version = obj.metadata.resource_version
                self._note(obj)
                if self._stop.is_set():
                    break

    def _note(self, obj: Any) -> None:
        now = time.monotonic()
        image = obj.spec.template.spec.containers[0].image
        with self._lock:
            self._seen.setdefault((obj.metadata.name, image), now)
            self._generations[obj.metadata.name] = obj.metadata.generation

    def seen(self, name: str, image: str) -> float | None:
        with self._lock:
            return self._seen.get((name, image))

    def generation(self, name: str) -> int:
        with self._lock:
            return self._generations.get(name, 0)

    async def wait(self, name: str, image: str, timeout: float = 60) -> float | None:
        deadline = time.monotonic() + timeout
        while (at := self.seen(name, image)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        return at


@dataclass
class Process:
    """CPU and memory of one process of the environment, read from /proc."""

    pid: int

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


@dataclass
class Bench:
    status: DevStatus
    options: Options
    figures: list[Figure] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.api_client = k8s_config.new_client_from_config(config_file=self.status.kubeconfig)  # type: ignore[no-untyped-call]
        # Typed Any: the kubernetes package wants model classes, the bench passes manifests.
        self.core: Any = k8s.CoreV1Api(self.api_client)
        self.apps: Any = k8s.AppsV1Api(self.api_client)
        self.headwind = Process(self.status.processes["headwind"].pid or 0)
        self.temporal_process = Process(self.status.processes["temporal"].pid or 0)
        self.http = httpx.AsyncClient(
            base_url=self.status.api_url,
            timeout=60,
            limits=httpx.Limits(
                max_connections=BURST_CONNECTIONS, max_keepalive_connections=BURST_CONNECTIONS
            ),
        )
        self.temporal: Client | None = None
        # Unique per run: Deployments of earlier runs whose namespaces are still being
        # deleted stay in the index, and must not match this run's webhooks.
        self.repository = f"{REPOSITORY}/{secrets.token_hex(4)}"

    def add(self, scenario: str, name: str, unit: str, values: list[float], note: str = "") -> None:
        figure = Figure.of(scenario, name, unit, values, note)
        self.figures.append(figure)
        s = figure.summary
        shown = "-" if s is None else f"median {s.median:.4g} (n={s.count})"
        print(f"bench: {scenario}: {name}: {shown} {unit} {note}", file=sys.stderr)

    async def client(self) -> Client:
        if self.temporal is None:
            self.temporal = await Client.connect(
                self.status.temporal_address, namespace=self.status.temporal_namespace
            )
        return self.temporal

    # -- helpers -----------------------------------------------------------------------------

    def namespace(self, purpose: str) -> str:
        name = f"bench-{purpose}-{secrets.token_hex(3)}"
        self.core.create_namespace({"metadata": {"name": name}})
        self.namespaces.append(name)
        return name

    def create(self, namespace: str, names: list[str], annotations: dict[str, str]) -> None:
        def one(name: str) -> None:
            body = deployment(name, f"{self.repository}/{name}:1.0.0", annotations)
            self.apps.create_namespaced_deployment(namespace, body)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, names))

    async def wait_indexed(self, image: str, timeout: float = 60) -> None:
        """Until the API's index knows the repository (a webhook for it then matches)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = await self.native(image)
            if body.get("matched"):
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"the index never matched {image}")

    async def native(self, image: str) -> dict[str, Any]:
        response = await self.http.post(
            "/webhook/native",
            json={"image": image},
            headers={"Authorization": f"Bearer {self.status.webhook_token}"},
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def cleanup(self) -> None:
        for name in self.namespaces:
            with contextlib.suppress(Exception):
                self.core.delete_namespace(name)

    def apiserver_requests(self) -> dict[str, float]:
        """Headwind-shaped requests so far: reads and writes of Deployments, Events, requests."""
        configuration = self.api_client.configuration
        headers = {"Accept": "text/plain"}
        if token := configuration.api_key.get("authorization"):
            headers["Authorization"] = token
        response = self.api_client.call_api("GET", f"{configuration.host}/metrics", headers)
        response.read()
        text = response.data.decode()
        counts: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            if family.name != "apiserver_request":
                continue
            for sample in family.samples:
                labels = sample.labels
                if not sample.name.endswith("_total") or labels.get("verb") in {"WATCH", "LIST"}:
                    continue
                resource = labels.get("resource", "")
                if labels.get("subresource") or resource not in {
                    "deployments",
                    "events",
                    "updaterequests",
                }:
                    continue
                key = f"{labels.get('verb')} {resource}"
                counts[key] = counts.get(key, 0) + sample.value
        return counts

    # -- scenarios ---------------------------------------------------------------------------

    async def latency(self) -> None:
        """Push → patched, one Deployment, pushes 1 s and 0.2 s apart, native webhook."""
        ns = self.namespace("latency")
        self.create(ns, ["app"], ANNOTATIONS)
        image = f"{self.repository}/app"
        await self.wait_indexed(f"{image}:1.0.0")
        n = self.options.repeats
        with ImageWatch(self.apps, ns) as watch:
            # What else writes meanwhile (controllers, other workflows) is measured over a
            # quiet stretch first and subtracted, at its rate, from the webhooks' window.
            quiet_start = await asyncio.to_thread(self.apiserver_requests)
            quiet_began = time.monotonic()
            await asyncio.sleep(min(10.0, 1.2 * n))
            before = await asyncio.to_thread(self.apiserver_requests)
            began = time.monotonic()
            rate = {
                k: (before.get(k, 0) - quiet_start.get(k, 0)) / (began - quiet_began)
                for k in before
            }
            spaced: list[float] = []
            for patch in range(1, n + 1):
                started = time.monotonic()
                await self.native(f"{image}:1.0.{patch}")
                at = await watch.wait("app", f"{image}:1.0.{patch}")
                if at is not None:
                    spaced.append((at - started) * 1000)
                await asyncio.sleep(1)
            after = await asyncio.to_thread(self.apiserver_requests)
            window = time.monotonic() - began
            self.add("latency", "push→patched, native webhook, 1 s apart", "ms", spaced)
            delta = {k: after.get(k, 0) - before.get(k, 0) - rate.get(k, 0) * window for k in after}
            per = sum(delta.values()) / n
            detail = ", ".join(
                f"{k} {v / n:.1f}" for k, v in sorted(delta.items()) if abs(v / n) >= 0.05
            )
            self.add("apiserver", "requests per matched webhook", "requests", [per], detail)

            close: list[float] = []
            sent: list[tuple[int, float]] = []
            for patch in range(n + 1, 2 * n + 1):
                sent.append((patch, time.monotonic()))
                await self.native(f"{image}:1.0.{patch}")
                await asyncio.sleep(0.2)
            # The last push always ends patched; the earlier ones were patched by then or
            # superseded (a newer tag arrived while they waited for the container).
            await watch.wait("app", f"{image}:1.0.{sent[-1][0]}")
            for patch, started in sent:
                at = watch.seen("app", f"{image}:1.0.{patch}")
                if at is not None:
                    close.append((at - started) * 1000)
            self.add(
                "latency",
                "push→patched, native webhook, 0.2 s apart",
                "ms",
                close,
                f"{n - len(close)} of {n} superseded or never patched" if len(close) < n else "",
            )
        await self._histories(ns, "auto (no monitoring)", "app")

    async def registry_push(self) -> None:
        """Push → patched through a real push to the local registry and its notification."""
        ns = self.namespace("push")
        repository = f"bench/{ns}"
        image = f"{self.status.registry}/{repository}"
        self.apps.create_namespaced_deployment(ns, deployment("app", f"{image}:1.0.0", ANNOTATIONS))
        await self.wait_indexed(f"{image}:1.0.0")
        settings = dev_push.client_settings(self.status.registry, True)
        platforms = dev_push.parse_platforms("linux/amd64")
        timings: list[float] = []
        async with httpx.AsyncClient(timeout=30) as http:
            pusher = uploading.RegistryPusher(http, settings)
            with ImageWatch(self.apps, ns) as watch:
                for patch in range(1, max(3, self.options.repeats // 2) + 1):
                    tag = f"1.0.{patch}"
                    built = dev_push.build_image(repository, tag, platforms)
                    started = time.monotonic()
                    await dev_push.push_image(pusher, self.status.registry, repository, tag, built)
                    at = await watch.wait("app", f"{image}:{tag}")
                    if at is not None:
                        timings.append((at - started) * 1000)
                    await asyncio.sleep(1)
        self.add("latency", "push→patched, registry push + notification", "ms", timings)

    async def drain(self) -> None:
        """Many updates at once: every webhook sent together, until the last is patched."""
        count = self.options.drain
        ns = self.namespace("drain")
        names = [f"app-{i}" for i in range(count)]
        await asyncio.to_thread(self.create, ns, names, ANNOTATIONS)
        await self.wait_indexed(f"{self.repository}/{names[-1]}:1.0.0")
        rss_loaded = self.headwind.rss_mib()
        with ImageWatch(self.apps, ns) as watch:
            cpu_h, cpu_t = self.headwind.cpu_seconds(), self.temporal_process.cpu_seconds()
            started = time.monotonic()
            await asyncio.gather(*(self.native(f"{self.repository}/{n}:1.0.1") for n in names))
            ends = await asyncio.gather(
                *(watch.wait(n, f"{self.repository}/{n}:1.0.1", timeout=300) for n in names)
            )
            patched = [at for at in ends if at is not None]
            drained = (max(patched) - started) if patched else float("nan")
            # The workflows' tails (transitions, release of the slot) still cost CPU.
            await self._settle(ns, count)
            used_h = self.headwind.cpu_seconds() - cpu_h
            used_t = self.temporal_process.cpu_seconds() - cpu_t
        self.add(
            "drain",
            f"{count} simultaneous updates, all patched",
            "s",
            [drained],
            f"{count - len(patched)} never patched" if len(patched) < count else "",
        )
        self.add(
            "cpu",
            "CPU per auto update, headwind + temporal",
            "CPU-s",
            [(used_h + used_t) / count],
            f"headwind {used_h / count:.3f} + temporal {used_t / count:.3f}",
        )
        self.add("memory", f"headwind run RSS, {count} annotated Deployments", "MiB", [rss_loaded])
        self.add(
            "memory", f"headwind run RSS after {count} updates", "MiB", [self.headwind.rss_mib()]
        )
        await self._burst(ns, names)

    async def _settle(self, ns: str, count: int, timeout: float = 120) -> None:
        client = await self.client()
        query = f'HeadwindNamespace = "{ns}" AND ExecutionStatus = "Running"'
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = await client.count_workflows(
                f"{query} AND WorkflowType = '{names.UPDATE_WORKFLOW}'"
            )
            if running.count == 0:
                return
            await asyncio.sleep(0.5)

    async def _burst(self, ns: str, names: list[str]) -> None:
        """A burst of webhooks, some matched: accepted per second, answer times, lost, doubled."""
        matched = names[: self.options.burst_matched]
        unmatched = self.options.burst - len(matched)
        images = [f"{self.repository}/{n}:1.0.2" for n in matched] + [
            f"{self.repository}/nobody-{i}:1.0.0" for i in range(unmatched)
        ]
        random.Random(7).shuffle(images)
        with ImageWatch(self.apps, ns) as watch:
            generations = {n: watch.generation(n) for n in matched}
            result = await asyncio.to_thread(
                load.run_wrk,
                self.status.api_url,
                self.status.webhook_token,
                connections=BURST_CONNECTIONS,
                seconds=60,
                images=images,
                filler=f"{self.repository}/nobody-after-%d-%d:1.0.0",
                limit=len(images),
            )
            ends = await asyncio.gather(
                *(watch.wait(n, f"{self.repository}/{n}:1.0.2", timeout=300) for n in matched)
            )
            await self._settle(ns, len(matched))
            lost = sum(1 for at in ends if at is None)
            doubled = sum(max(0, watch.generation(n) - generations[n] - 1) for n in matched)
        client = await self.client()
        runs = await client.count_workflows(
            f'HeadwindNamespace = "{ns}" AND HeadwindCandidateTag = "1.0.2"'
        )
        extra_runs = runs.count - len(matched)
        self.add(
            "burst",
            f"{len(images)} webhooks ({len(matched)} matched): accepted per second",
            "req/s",
            [result.per_second],
            f"{result.non_2xx} refused, {result.socket_errors} socket errors,"
            f" {BURST_CONNECTIONS} connections (wrk)",
        )
        self.add("burst", "answer time p50", "ms", [result.p50_ms])
        self.add("burst", "answer time p99", "ms", [result.p99_ms], f"max {result.max_ms:.0f} ms")
        self.add(
            "burst",
            "lost / duplicated",
            "updates",
            [lost, max(0, extra_runs) + doubled],
            f"lost {lost}, extra workflows {extra_runs}, extra patches {doubled}",
        )

    async def intake(self) -> None:
        """Webhooks nobody runs: what the API alone sustains."""
        connections = 32
        cpu = self.headwind.cpu_seconds()
        result = await asyncio.to_thread(
            load.run_wrk,
            self.status.api_url,
            self.status.webhook_token,
            connections=connections,
            seconds=self.options.intake_seconds,
            filler=f"{self.repository}/unmatched-%d:1.0.%d",
        )
        used = self.headwind.cpu_seconds() - cpu
        self.add(
            "intake",
            "unmatched webhooks answered per second",
            "req/s",
            [result.per_second],
            f"{connections} connections (wrk); headwind"
            f" {1000 * used / max(result.requests, 1):.2f} CPU-ms/req;"
            f" p99 {result.p99_ms:.1f} ms; {result.non_2xx} non-202",
        )

    async def history(self) -> None:
        """Temporal history events per update type (the update's and its share of the slot's)."""
        monitored = {
            **ANNOTATIONS,
            "headwind.sh/auto-rollback": "true",
            "headwind.sh/rollback-timeout": "20s",
        }
        ns = self.namespace("history")
        self.create(ns, ["monitored"], monitored)
        self.create(ns, ["approved"], {**monitored, "headwind.sh/require-approval": "true"})
        await self.wait_indexed(f"{self.repository}/approved:1.0.0")
        await self.native(f"{self.repository}/monitored:1.0.1")
        body = await self.native(f"{self.repository}/approved:1.0.1")
        request = next(r["request_name"] for r in body["results"] if r.get("request_name"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = await self.http.post(
                f"/api/v1/updates/{ns}/{request}/approve", json={"approver": "bench"}
            )
            if response.status_code == 200:
                break
            await asyncio.sleep(0.2)
        await self._settle(ns, 2, timeout=90)
        await self._histories(ns, "auto + monitoring", "monitored")
        await self._histories(ns, "approval + monitoring", "approved")

    async def _histories(self, ns: str, kind: str, name: str) -> None:
        client = await self.client()
        await self._settle(ns, 1)
        updates: list[float] = []
        async for execution in client.list_workflows(
            f'HeadwindNamespace = "{ns}" AND HeadwindName = "{name}" '
            f"AND WorkflowType = '{names.UPDATE_WORKFLOW}'"
        ):
            history = await client.get_workflow_handle(
                execution.id, run_id=execution.run_id
            ).fetch_history()
            updates.append(len(history.events))
        slot = naming.slot_workflow_id(
            WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace=ns, name=name), "main"
        )
        history = await client.get_workflow_handle(slot).fetch_history()
        slot_events = len(history.events)
        share = slot_events / max(len(updates), 1)
        self.add(
            "history",
            f"events per update, {kind}",
            "events",
            [u + share for u in updates],
            f"update {sorted(updates)[len(updates) // 2] if updates else '-'} + slot {share:.1f}",
        )

    async def memory(self) -> None:
        """RSS of `headwind run` as annotated Deployments (replicas 0) are added."""
        if not self.options.workloads:
            return
        ns = self.namespace("memory")
        total = 0
        for target in self.options.workloads:
            names = [f"idle-{i}" for i in range(total, target)]
            await asyncio.to_thread(self.create, ns, names, ANNOTATIONS)
            total = target
            await self.wait_indexed(f"{self.repository}/idle-{target - 1}:0.0.1", timeout=300)
            await asyncio.sleep(2)
            self.add(
                "memory",
                f"headwind run RSS, {target} annotated Deployments",
                "MiB",
                [self.headwind.rss_mib()],
            )


Scenario = Callable[[Bench], Awaitable[None]]

SCENARIOS: dict[str, Scenario] = {
    "latency": Bench.latency,
    "push": Bench.registry_push,
    "intake": Bench.intake,
    "drain": Bench.drain,
    "history": Bench.history,
    "memory": Bench.memory,
}
"""In running order; `drain` includes the burst (it reuses the drained Deployments)."""
