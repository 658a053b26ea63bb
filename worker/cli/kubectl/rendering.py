"""How `kubectl headwind` prints UpdateRequests: kubectl-style tables, JSON and YAML.

Pure: objects in, text out, so the columns, the order and the ages are unit-tested without a
cluster. Pending requests come first (they wait for someone), then the newest.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

from clients.kube.requests import UpdateRequest

__all__ = ["Output", "age", "detail", "document", "ordered", "row", "table"]


class Output(enum.StrEnum):
    TABLE = "table"
    WIDE = "wide"
    JSON = "json"
    YAML = "yaml"


_COLUMNS = ("NAME", "TARGET", "CONTAINER", "NEW", "PHASE", "AGE")
_WIDE = ("CURRENT", "POLICY", "DECISION", "BY", "MESSAGE")


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def age(created: str | None, now: datetime) -> str:
    """kubectl's short age: `45s`, `12m`, `5h`, `3d`; `<unknown>` without a timestamp."""
    moment = _moment(created)
    if moment is None:
        return "<unknown>"
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "m" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _tag(image: str) -> str:
    """The part of an image reference a reader compares: its tag (or digest)."""
    if "@" in image:
        return image.split("@", 1)[1][:19]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else image


def ordered(requests: Sequence[UpdateRequest]) -> list[UpdateRequest]:
    newest = sorted(requests, key=lambda r: r.created or "", reverse=True)
    return sorted(newest, key=lambda r: r.phase != "Pending")


def row(request: UpdateRequest, *, now: datetime, wide: bool, namespaced: bool) -> list[str]:
    target = f"{request.workload.kind.value}/{request.workload.name}" if request.workload else "?"
    cells = [request.namespace] if not namespaced else []
    cells += [
        request.name,
        target,
        request.container,
        _tag(request.new_image),
        request.phase or "<none>",
        age(request.created, now),
    ]
    if wide:
        decision = request.decision
        cells += [
            _tag(request.current_image),
            request.policy or "<none>",
            decision.action.value if decision else "<none>",
            decision.by if decision else (request.approved_by or request.rejected_by or "<none>"),
            request.message or "",
        ]
    return cells


def table(
    requests: Sequence[UpdateRequest],
    *,
    now: datetime | None = None,
    wide: bool = False,
    namespaced: bool = True,
    header: bool = True,
) -> str:
    """Rows aligned as `kubectl get` aligns them (three spaces between columns); empty
    without requests, so the caller can say where it found none."""
    now = now or datetime.now(UTC)
    names = ([] if namespaced else ["NAMESPACE"]) + list(_COLUMNS) + (list(_WIDE) if wide else [])
    rows = [row(r, now=now, wide=wide, namespaced=namespaced) for r in ordered(requests)]
    if not rows:
        return ""
    shown = ([names] if header else []) + rows
    widths = [max(len(line[i]) for line in [names, *rows]) for i in range(len(names))]
    lines = ["   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in shown]
    return "\n".join(line.rstrip() for line in lines)


def document(objects: Sequence[Mapping[str, Any]] | Mapping[str, Any], output: Output) -> str:
    """One object as itself, several as a `List`, in JSON or YAML (as `kubectl get -o`)."""
    body: Any = (
        dict(objects)
        if isinstance(objects, Mapping)
        else {"apiVersion": "v1", "kind": "List", "items": list(objects)}
    )
    if output is Output.YAML:
        return yaml.safe_dump(body, sort_keys=False).rstrip()
    return json.dumps(body, indent=2)


def detail(request: UpdateRequest, *, now: datetime | None = None) -> str:
    """`show`: what is proposed, where it stands, and who decided."""
    now = now or datetime.now(UTC)
    target = f"{request.workload.kind.value}/{request.workload.name}" if request.workload else "?"
    decision = request.decision
    pairs = [
        ("Name", request.name),
        ("Namespace", request.namespace),
        ("Target", target),
        ("Container", request.container),
        ("Current", request.current_image),
        ("New", request.new_image),
        ("Policy", request.policy),
        ("Reason", request.reason),
        ("Phase", request.phase or "<none>"),
        ("Message", request.message),
        ("Approved by", request.approved_by or ""),
        ("Rejected by", request.rejected_by or ""),
        (
            "Decision",
            f"{decision.action.value} by {decision.by}"
            + (f": {decision.reason}" if decision.reason else "")
            if decision
            else "",
        ),
        ("Workflow", request.workflow_id),
        ("Web UI", request.ui_url or ""),
        ("Temporal", request.temporal_url or ""),
        ("Age", age(request.created, now)),
    ]
    width = max(len(key) for key, _ in pairs) + 2
    return "\n".join(f"{key + ':':<{width}}{value}".rstrip() for key, value in pairs if value)


def history_table(entries: Sequence[Mapping[str, Any]]) -> str:
    """The history annotation's entries, one line each, in the API's order (newest first)."""
    if not entries:
        return "No history recorded."
    names = ["AT", "KIND", "CONTAINER", "IMAGE", "PREVIOUS", "BY"]
    rows = [
        [
            str(entry.get("at") or ""),
            str(entry.get("kind") or "update"),
            str(entry.get("container") or ""),
            str(entry.get("image") or ""),
            str(entry.get("previousImage") or entry.get("previous_image") or "<none>"),
            str(entry.get("by") or "<none>"),
        ]
        for entry in entries
    ]
    widths = [max(len(line[i]) for line in [names, *rows]) for i in range(len(names))]
    lines = [
        "   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in [names, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def explanation(watched: Mapping[str, Any], candidates: Sequence[UpdateRequest]) -> str:
    """`explain`: the watch state of each container, then each candidate and where it stands."""
    lines = [
        f"{watched.get('kind')}/{watched.get('name')} in {watched.get('namespace')}: "
        f"policy {watched.get('policy')}"
        + (f", pattern {watched['pattern']}" if watched.get("pattern") else "")
        + (", approval required" if watched.get("require_approval") else ""),
    ]
    for problem in watched.get("problems") or []:
        lines.append(f"  annotation problem: {problem}")
    for container in watched.get("containers") or []:
        state = "tracked" if container.get("tracked") else "not tracked"
        note = f": {container['note']}" if container.get("note") else ""
        image = container.get("image")
        lines.append(f"  container {container.get('name')} ({image}): {state}{note}")
    if not candidates:
        lines.append("No candidates waiting for approval or decided through UpdateRequests.")
    for request in ordered(candidates):
        why = request.message or request.reason
        lines.append(
            f"  candidate {_tag(request.new_image)} for {request.container}: "
            f"{request.phase or 'unknown'}" + (f" — {why}" if why else "")
        )
    return "\n".join(lines)


def verdicts(explanation: Mapping[str, Any]) -> str:
    """`explain`: every registry tag of each container with the policy's verdict and reason."""
    lines: list[str] = []
    for container in explanation.get("containers") or []:
        chosen = container.get("chosen")
        lines.append(
            f"{container.get('container')}: runs {container.get('current') or '?'}, policy "
            f"{container.get('policy')}: "
            + (f"would move to {chosen}" if chosen else f"no update ({container.get('reason')})")
            + (f" — {container['message']}" if container.get("message") else "")
        )
        for candidate in container.get("candidates") or []:
            mark = "*" if candidate.get("chosen") else ("+" if candidate.get("eligible") else "-")
            remembered = f" [{candidate['remembered']}]" if candidate.get("remembered") else ""
            lines.append(
                f"  {mark} {candidate.get('tag')}: {candidate.get('reason')}{remembered}"
                f" — {candidate.get('message')}"
            )
    if not lines:
        return "No tracked container to explain."
    return "\n".join(lines)
