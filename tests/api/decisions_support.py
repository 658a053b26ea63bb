"""A starter fake that decides once and refuses the rest, as the update workflow does."""

from __future__ import annotations

from dataclasses import dataclass

from clients.temporal import operations
from headwind.models import ApprovalIn, Phase, RejectIn, UpdateStatus
from tests.api.api_support import REQUEST, FakeUpdates, status_of


@dataclass
class DecidingUpdates(FakeUpdates):
    """Accepts the first decision and refuses the rest with 409, as the workflow does."""

    decided: str | None = None

    async def approve(self, namespace: str, name: str, body: ApprovalIn) -> UpdateStatus:
        self._refuse_twice("approve", body)
        return await super().approve(namespace, name, body)

    async def reject(self, namespace: str, name: str, body: RejectIn) -> UpdateStatus:
        self._refuse_twice("reject", body)
        return await super().reject(namespace, name, body)

    async def status(self, namespace: str, name: str) -> UpdateStatus:
        await super().status(namespace, name)
        if self.decided is None:
            return status_of()
        return status_of(Phase.APPROVED, approved_by=self.decided)

    def _refuse_twice(self, what: str, body: ApprovalIn | RejectIn) -> None:
        if self.decided is not None:
            self.calls.append((what, body))
            raise operations.WrongPhaseError(f"update request team/{REQUEST} is Approved")
        self.decided = body.approver
