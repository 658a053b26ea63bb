"""Start (or join) the update workflow of a candidate: the one entry point of every proposal.

Manual proposals (REST, CLI), webhooks and the poll activity all call `propose`, so the same
candidate found by several paths lands on one deterministic workflow ID and coalesces
(SPEC §6). It lives in `activities` because the poll activity needs it and may not import the
API; the API's `operations.propose` delegates here. The workflow is started by its registered
name, `Update`, so this module imports no workflow code.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from headwind import naming, search_attributes
from headwind.models import Proposal, UpdateStatus

__all__ = ["UPDATE_WORKFLOW", "ProposalAccepted", "propose"]

UPDATE_WORKFLOW = "Update"
"""The registered name of `workflows.update.UpdateWorkflow`."""


class ProposalAccepted(BaseModel):
    """Where a proposal went: the update workflow and the UpdateRequest name it answers to."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    run_id: str | None
    request_name: str
    namespace: str


async def propose(client: Client, proposal: Proposal, *, task_queue: str) -> ProposalAccepted:
    """Start (or join) the update workflow of this candidate; duplicates coalesce.

    "Use existing" joins a running workflow of the same candidate; "allow duplicate" lets a
    candidate that ended (skipped, stale, expired) be proposed again later.
    """
    w = proposal.workload
    name = naming.request_name(w, proposal.container, proposal.tag)
    workflow_id = naming.update_workflow_id(w.namespace, name)
    pairs = [
        SearchAttributePair(SearchAttributeKey.for_keyword(attribute.name), value)
        for attribute, value in search_attributes.for_proposal(proposal)
    ]
    handle = await client.start_workflow(
        UPDATE_WORKFLOW,
        proposal,
        id=workflow_id,
        task_queue=task_queue,
        result_type=UpdateStatus,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=TypedSearchAttributes(pairs),
        static_summary=f"{w} `{proposal.container}` → {proposal.tag}",
        static_details=(
            f"Proposed by {proposal.proposed_by or proposal.source} via {proposal.source}.\n\n"
            f"UpdateRequest `{w.namespace}/{name}`."
        ),
    )
    return ProposalAccepted(
        workflow_id=workflow_id,
        run_id=handle.result_run_id,
        request_name=name,
        namespace=w.namespace,
    )
