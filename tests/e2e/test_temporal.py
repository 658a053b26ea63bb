"""The Temporal dev server runs workflows and knows Headwind's search attributes.

The Web UI's "all pending updates in namespace prod" is a visibility query over these
attributes; here a workflow upserts them and is found again by such a query.
"""

from __future__ import annotations

import uuid

import pytest
from headwind_dev.status import DevStatus
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from headwind import search_attributes
from tests.e2e.polling import wait_for_async
from tests.e2e.temporal_probe import ProbeWorkflow

pytestmark = pytest.mark.e2e

_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


@pytest.mark.parametrize("attribute", search_attributes.ALL, ids=lambda attribute: attribute.name)
async def test_headwind_search_attribute_is_registered(
    temporal_client: Client, dev_env: DevStatus, attribute: search_attributes.SearchAttribute
) -> None:
    listed = await temporal_client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=dev_env.temporal_namespace)
    )
    assert listed.custom_attributes.get(attribute.name) == _TYPES[attribute.type]


async def test_workflow_is_listed_by_a_search_attribute_query(temporal_client: Client) -> None:
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    task_queue = f"e2e-probe-{uuid.uuid4()}"
    kind = SearchAttributeKey.for_keyword(search_attributes.KIND.name)

    async with Worker(temporal_client, task_queue=task_queue, workflows=[ProbeWorkflow]):
        handle = await temporal_client.start_workflow(
            ProbeWorkflow.run,
            namespace,
            id=f"e2e-probe-{namespace}",
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes([SearchAttributePair(kind, "Deployment")]),
        )
        assert await handle.result() == namespace

    async def listed() -> list[str]:
        query = f'HeadwindNamespace = "{namespace}" AND HeadwindKind = "Deployment"'
        return [execution.id async for execution in temporal_client.list_workflows(query)]

    found = await wait_for_async(
        listed, lambda ids: handle.id in ids, what="the workflow in visibility"
    )
    assert found == [handle.id]
