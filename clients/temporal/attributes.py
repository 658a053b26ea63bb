"""Typed Temporal search-attribute keys for the names declared in the domain core.

The names live in `headwind.search_attributes` so that the local environment registers exactly
what the workflows set. The workflows set these keys, the starter (`operations`) sets the first
ones at start and reads them back from visibility.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from headwind import search_attributes as names
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
    "for_proposal",
    "key",
]

KIND = SearchAttributeKey.for_keyword(names.KIND.name)
NAMESPACE = SearchAttributeKey.for_keyword(names.NAMESPACE.name)
NAME = SearchAttributeKey.for_keyword(names.NAME.name)
CONTAINER = SearchAttributeKey.for_keyword(names.CONTAINER.name)
IMAGE_REPOSITORY = SearchAttributeKey.for_keyword(names.IMAGE_REPOSITORY.name)
CANDIDATE_TAG = SearchAttributeKey.for_keyword(names.CANDIDATE_TAG.name)
PHASE = SearchAttributeKey.for_keyword(names.PHASE.name)
WORKLOAD = SearchAttributeKey.for_keyword(names.WORKLOAD.name)


def key(attribute: names.SearchAttribute) -> SearchAttributeKey[str]:
    """The typed key of one declared attribute (all of Headwind's are keywords)."""
    return SearchAttributeKey.for_keyword(attribute.name)


def for_proposal(proposal: Proposal) -> list[SearchAttributeUpdate[str]]:
    """The attributes known as soon as a candidate is proposed."""
    return [key(attribute).value_set(value) for attribute, value in names.for_proposal(proposal)]


ALL: tuple[SearchAttributeKey[str], ...] = tuple(
    SearchAttributeKey.for_keyword(attribute.name) for attribute in names.ALL
)
"""Every key Headwind sets (all keywords), for servers and tests to register."""
