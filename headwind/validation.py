"""What a name, a tag or a free-text field must look like before Headwind acts on it.

Every value a request names ends up somewhere that parses it again: a Kubernetes REST path,
an annotation, a Temporal visibility query, a workflow ID. Checking it once, at the door,
against the grammar of the place it is going (Kubernetes' DNS-1123 names, the OCI tag
grammar) means a `#`, a `..`, a NUL or a megabyte never reaches those places. Pure, so the
API, the CLI and tests apply the same rules.

Every check returns the value it accepted (so it can be used as a pydantic validator) and
raises `ValueError` with a message that names the field and shows at most the start of the
value, never all of it.
"""

from __future__ import annotations

import re

from headwind import images
from headwind.models import Phase, WorkloadKind

__all__ = [
    "ACTOR_MAX_LENGTH",
    "CRONJOB_NAME_MAX_LENGTH",
    "LABEL_MAX_LENGTH",
    "PLAIN_LINES_PATTERN",
    "PLAIN_TEXT_PATTERN",
    "REASON_MAX_LENGTH",
    "REFERENCE_MAX_LENGTH",
    "SUBDOMAIN_MAX_LENGTH",
    "TAG_MAX_LENGTH",
    "actor",
    "container_name",
    "dns1123_label",
    "dns1123_subdomain",
    "namespace",
    "phase",
    "reason",
    "rollback_target",
    "shown",
    "tag",
    "text",
    "workload_name",
]

LABEL_MAX_LENGTH = 63
"""A DNS-1123 label: namespaces, container names, UpdateRequest names."""
SUBDOMAIN_MAX_LENGTH = 253
"""A DNS-1123 subdomain: the names of Deployments, StatefulSets, DaemonSets, HelmReleases."""
CRONJOB_NAME_MAX_LENGTH = 52
"""Kubernetes refuses longer CronJob names: a Job's name is the CronJob's plus 11 characters."""
ACTOR_MAX_LENGTH = 253
"""Who approved, rejected, proposed or asked for a rollback (a user or service account name)."""
REASON_MAX_LENGTH = 1024
"""Why a request was rejected: a sentence or two, recorded in the workflow and an Event."""
REFERENCE_MAX_LENGTH = 512
"""An image reference: 255 characters of name, a 128-character tag and a sha512 digest fit."""
TAG_MAX_LENGTH = 128

_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?", re.ASCII)
_OCI_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}", re.ASCII)
_CHART_VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}", re.ASCII)
"""A Helm chart version: semantic versions may carry build metadata after a `+`."""
_CHART_REFERENCE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+:/-]*", re.ASCII)
_SHOWN = 64

_INVISIBLE = r"\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff"
"""Characters that have no business in a name or a sentence someone reads in a log: DEL and
C1 controls, zero-width and bidirectional marks, line separators, the byte-order mark, and
lone surrogates (which cannot even be encoded as UTF-8)."""
PLAIN_TEXT_PATTERN = rf"^[^\u0000-\u001f{_INVISIBLE}]*$"
"""One line of plain text: no control or invisible characters (for the OpenAPI schema too)."""
PLAIN_LINES_PATTERN = rf"^[^\u0000-\u0008\u000b-\u001f{_INVISIBLE}]*$"
"""Plain text that may hold newlines and tabs."""
_PLAIN_TEXT = re.compile(PLAIN_TEXT_PATTERN)
_PLAIN_LINES = re.compile(PLAIN_LINES_PATTERN)


def shown(value: str) -> str:
    """The value as an error message may quote it: its start only, control characters escaped."""
    start = value[:_SHOWN]
    return repr(start) + ("…" if len(value) > _SHOWN else "")


def dns1123_label(value: str, what: str = "name") -> str:
    """Lower-case letters, digits and `-`, starting and ending alphanumeric, at most 63."""
    if len(value) > LABEL_MAX_LENGTH:
        raise ValueError(f"{what} is longer than {LABEL_MAX_LENGTH} characters")
    if not _LABEL.fullmatch(value):
        raise ValueError(
            f"{what} {shown(value)} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit)"
        )
    return value


def dns1123_subdomain(
    value: str, what: str = "name", max_length: int = SUBDOMAIN_MAX_LENGTH
) -> str:
    """DNS-1123 labels joined by `.`, at most 253 characters (`.` and `..` are not names)."""
    if len(value) > max_length:
        raise ValueError(f"{what} is longer than {max_length} characters")
    if not all(_LABEL.fullmatch(part) for part in value.split(".")):
        raise ValueError(
            f"{what} {shown(value)} is not a DNS-1123 subdomain (lower-case letters, digits, "
            "'-' and '.', each part starting and ending with a letter or digit)"
        )
    return value


def namespace(value: str) -> str:
    return dns1123_label(value, "namespace")


def workload_name(kind: WorkloadKind, value: str) -> str:
    """The object name rule Kubernetes applies to `kind`."""
    limit = CRONJOB_NAME_MAX_LENGTH if kind is WorkloadKind.CRONJOB else SUBDOMAIN_MAX_LENGTH
    return dns1123_subdomain(value, f"{kind.value} name", limit)


def container_name(value: str) -> str:
    """Container names are DNS-1123 labels (a HelmRelease's only "container" is `chart`)."""
    return dns1123_label(value, "container")


def tag(kind: WorkloadKind, value: str) -> str:
    """An OCI tag for the image kinds; a chart version (which may hold `+`) for a HelmRelease."""
    grammar, spelled = (
        (_CHART_VERSION, "a chart version (letters, digits, '_', '.', '-', '+')")
        if kind.is_chart
        else (_OCI_TAG, "an OCI tag (letters, digits, '_', '.', '-')")
    )
    if len(value) > TAG_MAX_LENGTH:
        raise ValueError(f"tag is longer than {TAG_MAX_LENGTH} characters")
    if not grammar.fullmatch(value):
        raise ValueError(
            f"tag {shown(value)} is not {spelled}, 1 to 128 characters, "
            "not starting with '.', '-' or '+'"
        )
    return value


def rollback_target(kind: WorkloadKind, value: str) -> str:
    """Where a rollback may be asked to go: a tag (chart version), or a whole reference."""
    if len(value) > REFERENCE_MAX_LENGTH:
        raise ValueError(f"'to' is longer than {REFERENCE_MAX_LENGTH} characters")
    if kind.is_chart:
        if not _CHART_REFERENCE.fullmatch(value):
            raise ValueError(f"'to' {shown(value)} is not a chart version or reference")
        return value
    if "/" in value or ":" in value or "@" in value:
        try:
            images.parse(value)
        except images.ImageReferenceError:
            raise ValueError(f"'to' {shown(value)} is not an image reference") from None
        return value
    return tag(kind, value)


def text(value: str, what: str, max_length: int, *, multiline: bool = False) -> str:
    """Bounded plain text: no control or invisible characters (newlines and tabs if `multiline`)."""
    if len(value) > max_length:
        raise ValueError(f"{what} is longer than {max_length} characters")
    grammar = _PLAIN_LINES if multiline else _PLAIN_TEXT
    if not grammar.fullmatch(value):
        bad = next(c for c in value if not grammar.fullmatch(c))
        raise ValueError(
            f"{what} holds a control or invisible character (U+{ord(bad):04X}); send plain text"
        )
    return value


def actor(value: str, what: str = "approver") -> str:
    return text(value, what, ACTOR_MAX_LENGTH)


def reason(value: str) -> str:
    return text(value, "reason", REASON_MAX_LENGTH, multiline=True)


def phase(value: str) -> Phase:
    """A phase by name, in any case (`pending` is `Pending`)."""
    for known in Phase:
        if known.value.lower() == value.strip().lower():
            return known
    raise ValueError(f"unknown phase {shown(value)}; expected one of {', '.join(Phase)}")
