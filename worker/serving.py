"""Long-running processes: the Temporal worker, the API, or both in one process.

`headwind run` (both) is the embedded default: one process, one metrics registry, so `/metrics`
shows every counter. At scale, `headwind worker` and `headwind api` run as separate replicas;
the worker then serves its own `/metrics` on `HEADWIND_WORKER_METRICS_PORT`
(`HEADWIND_METRICS_HOST`).

Every mode runs the detector (watch + image index): the API matches webhooks against the index
of its own process, and the worker's once-per-cluster work reads it too. Only processes with a
worker campaign for the leader Lease, so once-per-cluster work never lands on an API replica
(which the spec wants stateless).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn
from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import slots
from activities.notifying import NotifyActivities
from activities.polling import PollingActivities
from activities.transitions import TransitionActivities
from activities.updates import UpdateActivities
from api.main import create_app
from clients import temporal
from clients.kube.client import Kube
from clients.notify.senders import Senders, open_senders
from clients.registries import open_registries
from headwind import naming
from headwind.index import ImageIndex
from headwind.settings import Settings
from metrics import registries as polling_metrics
from worker import deciding, detecting
from worker.polling import PollingDriver
from workflows.polling import PollRepositoryWorkflow
from workflows.rollback import RollbackWorkflow
from workflows.slot import ContainerSlotWorkflow
from workflows.update import UpdateWorkflow

__all__ = [
    "WORKFLOWS",
    "activities_for",
    "build_slot_worker",
    "build_worker",
    "run",
    "workflow_runner",
]

log = logging.getLogger(__name__)

WORKFLOWS: Sequence[type] = (
    UpdateWorkflow,
    ContainerSlotWorkflow,
    RollbackWorkflow,
    PollRepositoryWorkflow,
)


def build_worker(
    client: Client,
    kube: Kube,
    *,
    task_queue: str,
    executor: concurrent.futures.ThreadPoolExecutor,
    polling: PollingActivities | None = None,
    notifying: NotifyActivities | None = None,
    settings: Settings | None = None,
) -> Worker:
    """A worker with every workflow and activity, the given clients injected."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(kube, polling, notifying, settings),
        activity_executor=executor,
        workflow_runner=workflow_runner(),
        max_cached_workflows=(settings or Settings.model_construct()).worker_cached_workflows,
    )


def build_slot_worker(
    client: Client, *, task_queue: str, settings: Settings | None = None
) -> Worker:
    """The worker of the container slots, on their own task queue (`naming.slot_task_queue`):
    its task slots are never taken by updates waiting for a slot's answer."""
    return Worker(
        client,
        task_queue=naming.slot_task_queue(task_queue),
        workflows=[ContainerSlotWorkflow],
        activities=[slots.is_newer],
        workflow_runner=workflow_runner(),
        max_cached_workflows=(settings or Settings.model_construct()).worker_cached_workflows,
    )


def activities_for(
    kube: Kube,
    polling: PollingActivities | None = None,
    notifying: NotifyActivities | None = None,
    settings: Settings | None = None,
) -> list[Callable[..., Any]]:
    """Every activity the worker serves, bound to the given clients (polling only when given;
    without senders, no notification is scheduled)."""
    notifying = notifying or NotifyActivities(Settings.model_construct(), Senders(), kube)
    updates = UpdateActivities(kube, notifying.default_route)
    transitions = TransitionActivities(kube, settings)
    return [
        updates.evaluate,
        updates.apply,
        updates.check_health,
        updates.remember_tag,
        updates.plan_rollback,
        transitions.record_transition,
        notifying.notify,
        *slots.ACTIVITIES,
        *([polling.poll_repository] if polling is not None else []),
    ]


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox, with the pure domain core and pydantic passed through (loaded once)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "headwind", "headwind.names", "pydantic"
        )
    )


def _install_runtime(settings: Settings) -> None:
    """Temporal SDK metrics on their own endpoint."""
    if settings.temporal_metrics_port is None:
        return
    telemetry = TelemetryConfig(
        metrics=PrometheusConfig(
            bind_address=f"{settings.metrics_host}:{settings.temporal_metrics_port}"
        )
    )
    Runtime.set_default(Runtime(telemetry=telemetry), error_if_already_set=False)


async def run(
    settings: Settings, *, worker: bool, api: bool, worker_metrics_port: int | None
) -> None:
    """Run the worker, the API, or both, until SIGINT/SIGTERM."""
    _install_runtime(settings)
    client = await temporal.connect(settings)
    kube = await asyncio.to_thread(Kube.from_settings, settings)
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=32)
    index = ImageIndex()
    tasks: list[asyncio.Task[None]] = []
    temporal_worker: Worker | None = None
    slot_worker: Worker | None = None
    # The detector starts before the API serves and stops after it (and after the worker),
    # so neither ever sees an index that is no longer kept current.
    registries = open_registries(
        settings, kube, on_response=polling_metrics.count_registry_response
    )
    async with (
        detecting.detecting(settings, index, campaign=worker) as detection,
        open_senders(settings) as senders,
    ):
        try:
            if worker:
                polling = PollingActivities(
                    index,
                    kube,
                    registries.oci,
                    registries.helm,
                    synced=lambda: detection.detector.synced,
                )
                temporal_worker = build_worker(
                    client,
                    kube,
                    task_queue=settings.temporal_task_queue,
                    executor=executor,
                    polling=polling,
                    notifying=NotifyActivities(settings, senders, kube),
                    settings=settings,
                )
                if not api and worker_metrics_port:
                    start_http_server(worker_metrics_port, addr=settings.metrics_host)
                tasks.append(asyncio.create_task(temporal_worker.run()))
                slot_worker = build_slot_worker(
                    client, task_queue=settings.temporal_task_queue, settings=settings
                )
                tasks.append(asyncio.create_task(slot_worker.run()))
                driver = PollingDriver(
                    client,
                    index,
                    task_queue=settings.temporal_task_queue,
                    default_interval=settings.polling_interval,
                    enabled=settings.polling_enabled,
                    synced=lambda: detection.detector.synced,
                )
                tasks.append(
                    asyncio.create_task(
                        detection.leadership.run_while_leading(driver.run, name="polling driver")
                    )
                )
                decider = deciding.Decider(settings, lambda r, d: deciding.forward(client, r, d))
                tasks.append(
                    asyncio.create_task(
                        detection.leadership.run_while_leading(decider.run, name="decider")
                    )
                )
            if api:
                app = create_app(settings, temporal_client=client, kube=kube, index=index)
                server = uvicorn.Server(
                    uvicorn.Config(
                        app,
                        host=settings.api_host,
                        port=settings.api_port,
                        log_level=settings.log_level.value.lower(),
                        access_log=False,
                        http="httptools",  # the C parser: a fraction of h11's cost per request
                        # uvicorn's lines go through the process's handler (`worker.logs`), so
                        # with HEADWIND_LOG_FORMAT=json they are JSON like every other line.
                        log_config=None,
                    )
                )
                log.info("API on http://%s:%s", settings.api_host, settings.api_port)
                _outlive_uvicorn_signals()
                await server.serve()  # returns on SIGINT/SIGTERM
            else:
                await _until_signal()
        finally:
            if temporal_worker is not None:
                await temporal_worker.shutdown()
            if slot_worker is not None:
                await slot_worker.shutdown()
            for task in tasks:
                task.cancel()  # leader-only tasks run until cancelled; the worker's has ended
                await asyncio.gather(task, return_exceptions=True)
            executor.shutdown(wait=False, cancel_futures=True)
            await registries.aclose()
            kube.close()


def _outlive_uvicorn_signals() -> None:
    """Let the cleanup below `server.serve()` run after SIGTERM/SIGINT.

    uvicorn handles the signal, stops serving, then raises it again for whatever handler was
    installed before it. Python's defaults would end the process there (SIGTERM) or raise
    KeyboardInterrupt (SIGINT), skipping the worker's shutdown and the release of the leader
    Lease (the next leader would then wait for the lease to expire). These handlers only log.
    """
    import signal

    def note(signum: int, frame: object) -> None:
        log.info("%s: shutting down", signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, note)


async def _until_signal() -> None:
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
