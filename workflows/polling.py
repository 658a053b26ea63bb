"""The PollRepository workflow: what a repository's polling Schedule starts every interval.

One activity does the scan (`activities.polling`); the workflow only gives it Temporal's
retries. The Schedule skips a tick while a run is still going (overlap policy "skip"), so a
registry that is slow, down or rate limiting (a 429's `Retry-After` sets the next retry's
delay) is not scanned again on top of it: the retries are the backoff. After the last
attempt the run fails, visibly in the Web UI, and the next tick starts afresh.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from headwind import names
    from headwind.polling import PollRequest, PollResult

__all__ = ["POLL_RETRY", "PollRepositoryWorkflow"]

POLL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=5,
)
"""Bounded: a scan that keeps failing ends; the Schedule's next tick is the next attempt."""


@workflow.defn(name=names.POLL_REPOSITORY_WORKFLOW)
class PollRepositoryWorkflow:
    @workflow.run
    async def run(self, request: PollRequest) -> PollResult:
        result: PollResult = await workflow.execute_activity(
            names.POLL_REPOSITORY,
            request,
            result_type=PollResult,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=POLL_RETRY,
            summary=request.repository,
        )
        return result
