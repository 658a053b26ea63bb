"""One trace from a webhook to the patch: the door, the workflow start, the workflow, its
activities. Spans go to an in-memory exporter; Temporal is the session's real dev server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from typing import cast

import httpx
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import slots
from api.deps import Services
from api.main import create_app
from clients.kube.client import Kube
from headwind import annotations as workload_annotations
from headwind import images, naming
from headwind.index import ImageIndex, Subscriber
from headwind.models import Phase, UpdateStatus, WorkloadKind, WorkloadRef
from headwind.settings import Settings
from tests.workflows.fakes import FakeCluster, FakeWorkload
from worker import serving

TOKEN = "trace-token"
IMAGE = "registry.local/traced/web:1.0.0"


async def test_a_webhook_its_workflow_and_the_patch_are_one_trace(
    temporal_env: WorkflowEnvironment,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("headwind-test")
    base = temporal_env.client
    client = Client(
        base.service_client,
        namespace=base.namespace,
        data_converter=base.data_converter,
        interceptors=[TracingInterceptor(tracer)],
    )
    task_queue = f"test-{uuid.uuid4().hex}"
    workload = WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="team", name="traced")
    cluster = FakeCluster()
    cluster.workloads[FakeCluster.key(workload, "app")] = FakeWorkload(
        image=IMAGE, require_approval=False
    )
    parsed, _ = workload_annotations.parse({"headwind.sh/policy": "minor"})
    index = ImageIndex()
    ref = images.parse(IMAGE)
    index.replace(
        workload,
        [
            Subscriber(
                workload=workload,
                container="app",
                image=IMAGE,
                repository=ref.repository_key,
                tag="1.0.0",
                digest=None,
                annotations=parsed,
            )
        ],
    )
    index.mark_synced()
    settings = Settings.model_validate({"webhook_token": TOKEN, "temporal_task_queue": task_queue})
    app = create_app(settings, temporal_client=client, index=index)
    app.state.services = Services(
        settings=settings, temporal=client, kube=cast(Kube, None), index=index
    )
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as executor:
        async with (
            Worker(
                client,
                task_queue=task_queue,
                workflows=list(serving.WORKFLOWS),
                activities=[*cluster.activities(), *slots.ACTIVITIES],
                activity_executor=executor,
                workflow_runner=serving.workflow_runner(),
            ),
            serving.build_slot_worker(client, task_queue=task_queue),
        ):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hw") as http:
                answer = await http.post(
                    "/webhook/native",
                    json={"image": "registry.local/traced/web:1.1.0"},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
            assert answer.status_code == 202, answer.text
            assert answer.json()["proposed"] == 1
            request = naming.request_name(workload, "app", "1.1.0")
            handle = client.get_workflow_handle(
                naming.update_workflow_id("team", request), result_type=UpdateStatus
            )
            final = await asyncio.wait_for(handle.result(), timeout=60)
    assert final.phase == Phase.COMPLETED

    spans = exporter.get_finished_spans()
    names = {span.name for span in spans}
    assert "StartWorkflow:Update" in names
    assert "RunWorkflow:Update" in names
    assert "RunActivity:apply" in names
    door = [s for s in spans if s.name.startswith("POST /webhook")]
    assert door, sorted(names)
    trace_ids = {
        span.context.trace_id
        for span in spans
        if span.name in ("StartWorkflow:Update", "RunWorkflow:Update", "RunActivity:apply")
    }
    assert trace_ids == {door[0].context.trace_id}
