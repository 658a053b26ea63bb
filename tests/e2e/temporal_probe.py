"""A tiny workflow for the e2e tests: it sets Headwind's search attributes and returns.

In its own module so the workflow sandbox re-imports only this and Temporal, not the test
module with its Kubernetes imports. The keys come from `headwind.search_attributes`, the list
production uses, so a query that finds this workflow finds Headwind's.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import SearchAttributeKey

from headwind import search_attributes

__all__ = ["NAMESPACE_KEY", "PHASE_KEY", "ProbeWorkflow"]

NAMESPACE_KEY = SearchAttributeKey.for_keyword(search_attributes.NAMESPACE.name)
PHASE_KEY = SearchAttributeKey.for_keyword(search_attributes.PHASE.name)


@workflow.defn
class ProbeWorkflow:
    @workflow.run
    async def run(self, namespace: str) -> str:
        workflow.upsert_search_attributes(
            [NAMESPACE_KEY.value_set(namespace), PHASE_KEY.value_set("Completed")]
        )
        return namespace
