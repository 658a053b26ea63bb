"""UpdateRequests through the Kubernetes API: read them, write a decision, answer one.

The Kubernetes API is an approval channel of its own: a user with the `headwind-approver` role
writes `spec.decision` (the admission policy makes its `by` the writer's own name), and
Headwind's decider forwards it to the workflow and records in the status which generation it
handled. The kubectl plugin and the decider share these paths and this reading of the object.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import quote

from kubernetes import config as k8s_config

from clients.kube.client import Kube
from headwind import mirroring
from headwind.models import WorkloadKind, WorkloadRef

__all__ = [
    "Action",
    "Decision",
    "Outcome",
    "UpdateRequest",
    "answer",
    "collection_path",
    "decide",
    "get",
    "kubeconfig_namespace",
    "list_requests",
    "path",
    "whoami",
]

JsonObj = dict[str, Any]


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Outcome(enum.StrEnum):
    """What became of a decision, as Headwind records it in `status.decisionOutcome`."""

    ACCEPTED = "Accepted"
    IGNORED = "Ignored"


class DecisionBody(TypedDict, total=False):
    """`spec.decision` as the CRD defines it."""

    action: str
    by: str
    reason: str


@dataclass(frozen=True)
class Decision:
    action: Action
    by: str
    reason: str | None = None

    def body(self) -> DecisionBody:
        body: DecisionBody = {"action": self.action.value, "by": self.by}
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True)
class UpdateRequest:
    """The parts of an UpdateRequest object that Headwind and its plugin read."""

    namespace: str
    name: str
    uid: str
    generation: int
    workload: WorkloadRef | None
    """None when `spec.targetRef` names a kind Headwind does not know."""
    container: str
    current_image: str
    new_image: str
    policy: str
    reason: str
    workflow_id: str
    phase: str
    message: str
    approved_by: str | None
    rejected_by: str | None
    created: str | None
    decision: Decision | None
    observed_generation: int
    decision_outcome: Outcome | None
    """Set with `observed_generation` once Headwind handled the decision."""
    ui_url: str | None = None
    """The update's page in Headwind's web UI, as Headwind's mirror wrote it."""
    temporal_url: str | None = None
    """The update's workflow in the Temporal Web UI (when Headwind knows that UI's address)."""

    @property
    def undecided_decision(self) -> Decision | None:
        """The decision, while Headwind has not recorded what became of it.

        A decision is written once (the CRD refuses changes), so one outcome answers it for
        good; the generation alone would not do, as Headwind's mirror also changes the spec."""
        if self.decision is None or self.decision_outcome is not None:
            return None
        return self.decision

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> UpdateRequest:
        metadata = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        target = spec.get("targetRef") or {}
        namespace = str(metadata.get("namespace") or "")
        workload: WorkloadRef | None
        try:
            kind = WorkloadKind(str(target.get("kind")))
            workload = WorkloadRef(kind=kind, namespace=namespace, name=str(target.get("name")))
        except ValueError:
            workload = None
        return cls(
            namespace=namespace,
            name=str(metadata.get("name") or ""),
            uid=str(metadata.get("uid") or ""),
            generation=int(metadata.get("generation") or 0),
            workload=workload,
            container=str(spec.get("containerName") or ""),
            current_image=str(spec.get("currentImage") or ""),
            new_image=str(spec.get("newImage") or ""),
            policy=str(spec.get("policy") or ""),
            reason=str(spec.get("reason") or ""),
            workflow_id=str(spec.get("workflowId") or ""),
            phase=str(status.get("phase") or ""),
            message=str(status.get("message") or ""),
            approved_by=status.get("approvedBy") or None,
            rejected_by=status.get("rejectedBy") or None,
            ui_url=(status.get("links") or {}).get("ui") or None,
            temporal_url=(status.get("links") or {}).get("temporal") or None,
            created=metadata.get("creationTimestamp") or None,
            decision=_decision(spec.get("decision")),
            observed_generation=int(status.get("observedGeneration") or 0),
            decision_outcome=_outcome(status.get("decisionOutcome")),
        )


def _outcome(raw: Any) -> Outcome | None:
    try:
        return Outcome(str(raw)) if raw else None
    except ValueError:
        return None


def _decision(raw: Any) -> Decision | None:
    if not isinstance(raw, dict):
        return None
    try:
        action = Action(str(raw.get("action")))
    except ValueError:
        return None
    return Decision(action=action, by=str(raw.get("by") or ""), reason=raw.get("reason") or None)


def collection_path(namespace: str | None) -> str:
    """Every UpdateRequest of a namespace, or of all of them (None)."""
    if namespace is None:
        return f"/apis/{mirroring.API_VERSION}/{mirroring.PLURAL}"
    ns = quote(namespace, safe="")
    return f"/apis/{mirroring.API_VERSION}/namespaces/{ns}/{mirroring.PLURAL}"


def path(namespace: str, name: str) -> str:
    return f"{collection_path(namespace)}/{quote(name, safe='')}"


def get(kube: Kube, namespace: str, name: str) -> JsonObj:
    return kube.get(path(namespace, name))


def list_requests(
    kube: Kube, namespace: str | None, *, label_selector: str | None = None
) -> list[JsonObj]:
    return kube.list(collection_path(namespace), label_selector=label_selector)


def decide(kube: Kube, namespace: str, name: str, decision: Decision) -> JsonObj:
    """Write the decision; the apiserver's admission policy checks that `by` is the caller."""
    return kube.merge_patch(path(namespace, name), {"spec": {"decision": decision.body()}})


def answer(
    kube: Kube,
    namespace: str,
    name: str,
    *,
    generation: int,
    outcome: Outcome,
    message: str | None = None,
) -> JsonObj:
    """Record that Headwind handled the decision of `generation` (and why it changed nothing)."""
    status: JsonObj = {"observedGeneration": generation, "decisionOutcome": outcome.value}
    if message:
        status["message"] = message
    return kube.merge_patch(path(namespace, name) + "/status", {"status": status})


def whoami(kube: Kube) -> str:
    """The user name the apiserver knows the caller by (a SelfSubjectReview)."""
    review = kube.create(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    return str(((review.get("status") or {}).get("userInfo") or {}).get("username") or "")


def kubeconfig_namespace(kubeconfig: str | None, context: str | None) -> str:
    """The namespace the kubeconfig's context names, as kubectl uses it; else `default`."""
    try:
        contexts, current = k8s_config.list_kube_config_contexts(config_file=kubeconfig)
    except (k8s_config.ConfigException, OSError):
        return "default"
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else current
    return str(((chosen or {}).get("context") or {}).get("namespace") or "default")
