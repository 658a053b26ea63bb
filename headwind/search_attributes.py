"""Names and types of the custom Temporal search attributes every update workflow sets.

One list, used by the workflows that upsert them, by the local environment that registers them
on its Temporal dev server, and by the tests, so that a name can never drift between what
production writes and what a server knows about. Kept free of Temporal imports (the domain core
is pure); `workflows` turns these into typed `SearchAttributeKey`s.

With these, the Temporal Web UI answers questions like "all pending updates in namespace prod"
with one query: `HeadwindNamespace = "prod" AND HeadwindPhase = "Pending"`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from headwind.models import Proposal

__all__ = [
    "ALL",
    "CANDIDATE_TAG",
    "CONTAINER",
    "IMAGE_REPOSITORY",
    "KIND",
    "NAME",
    "NAMESPACE",
    "PHASE",
    "WORKLOAD",
    "SearchAttribute",
    "SearchAttributeType",
    "for_proposal",
    "workload_value",
]

SearchAttributeType = Literal["Keyword", "Text", "Int", "Double", "Bool", "Datetime", "KeywordList"]
"""The indexed value types Temporal accepts, spelled as its CLI and `--search-attribute` do."""


class SearchAttribute(NamedTuple):
    """One custom search attribute: a (name, type) pair as Temporal registers it."""

    name: str
    type: SearchAttributeType


KIND = SearchAttribute("HeadwindKind", "Keyword")
"""Workload kind: `Deployment`, `StatefulSet`, `DaemonSet`, `CronJob`, `HelmRelease`."""

NAMESPACE = SearchAttribute("HeadwindNamespace", "Keyword")
"""Kubernetes namespace of the workload."""

NAME = SearchAttribute("HeadwindName", "Keyword")
"""Name of the workload."""

CONTAINER = SearchAttribute("HeadwindContainer", "Keyword")
"""Container name (the chart name for a HelmRelease)."""

IMAGE_REPOSITORY = SearchAttribute("HeadwindImageRepository", "Keyword")
"""Normalised registry + repository, e.g. `docker.io/library/nginx`."""

CANDIDATE_TAG = SearchAttribute("HeadwindCandidateTag", "Keyword")
"""The tag (or chart version) the workflow proposes."""

PHASE = SearchAttribute("HeadwindPhase", "Keyword")
"""Current phase: `Pending`, `Applying`, `Monitoring`, then one terminal phase."""

WORKLOAD = SearchAttribute("HeadwindWorkload", "Keyword")
"""`kind/namespace/name` in one value (see `workload_value`), for exact-match queries."""

ALL: tuple[SearchAttribute, ...] = (
    KIND,
    NAMESPACE,
    NAME,
    CONTAINER,
    IMAGE_REPOSITORY,
    CANDIDATE_TAG,
    PHASE,
    WORKLOAD,
)
"""Every attribute Headwind sets; a server must have all of them registered."""


def workload_value(kind: str, namespace: str, name: str) -> str:
    """The `HeadwindWorkload` value of a workload: `kind/namespace/name`."""
    return f"{kind}/{namespace}/{name}"


def for_proposal(proposal: Proposal) -> list[tuple[SearchAttribute, str]]:
    """The values known as soon as a candidate is proposed: set when the workflow starts (so
    a freshly started update is listed at once) and upserted by the workflow itself."""
    w = proposal.workload
    return [
        (KIND, w.kind.value),
        (NAMESPACE, w.namespace),
        (NAME, w.name),
        (WORKLOAD, workload_value(w.kind.value, w.namespace, w.name)),
        (CONTAINER, proposal.container),
        (CANDIDATE_TAG, proposal.tag),
        (PHASE, "Evaluating"),
    ]
