"""Where a manual rollback goes: read from the live workload and its recorded history.

Pure, so the rule is unit-tested without a cluster and the activity only reads the object.

- Only a workload Headwind manages can be rolled back: its `headwind.sh/policy` is anything
  but `none`. A workload that never opted in is not Headwind's to change.
- Without a target, a rollback goes back to the image the current one replaced (a restart for
  a new build of the same tag is no step back).
- With a target, it must be an image the container's recorded history has run (before or
  after an update), in the same repository; any other tag needs the request's explicit
  `override`, which callers audit.
"""

from collections.abc import Mapping
from typing import Any

from headwind import annotations, images, records, workloads
from headwind.models import RollbackPlan, RollbackRequest, WorkloadKind
from headwind.policy import PolicyKind

__all__ = ["plan"]


def plan(kind: WorkloadKind, obj: Mapping[str, Any], request: RollbackRequest) -> RollbackPlan:
    """Where to go back to: `to` (an image or a tag), else the image the current one replaced."""
    written = workloads.annotations_of(obj)
    parsed, _ = annotations.parse(written)
    if parsed.policy.kind == PolicyKind.NONE:
        return RollbackPlan(
            possible=False,
            message="not managed by Headwind: headwind.sh/policy is none or absent",
        )
    spot = workloads.find(kind, obj, request.container)
    if spot is None:
        return RollbackPlan(possible=False, message=f"no container {request.container!r}")
    history, _ = records.parse_history(written.get(annotations.UPDATE_HISTORY))
    mine = [e for e in history if e.container == request.container]
    current_tag = workloads.tag_of(kind, spot.image)
    if request.to:
        target = request.to
        if kind != WorkloadKind.HELMRELEASE and ("/" in target or ":" in target):
            if images.parse(target).repository_key != images.parse(spot.image).repository_key:
                return RollbackPlan(
                    possible=False,
                    message=f"{target} is another repository than {spot.image}",
                )
        else:
            tag = workloads.tag_of(kind, target) if kind.is_chart else target
            target = workloads.retag(kind, spot.image, tag)
        recorded = {e.image for e in mine} | {e.previous_image for e in mine if e.previous_image}
        if workloads.value_for(kind, target) not in recorded and not request.override:
            return RollbackPlan(
                possible=False,
                message=f"{target} is not in the recorded history of {request.container!r}"
                " (an explicit override is needed for any other image)",
            )
    else:
        # A restart for a new build (same image before and after) is no step to go back to.
        replaced = next(
            (
                e.previous_image
                for e in mine
                if e.image == spot.value and e.previous_image and e.previous_image != e.image
            ),
            None,
        )
        if replaced is None:
            return RollbackPlan(
                possible=False,
                message=f"the history of {request.container!r} has no image before {spot.image}",
            )
        target = workloads.retag(kind, spot.image, replaced) if kind.is_chart else replaced
    if target == spot.image:
        return RollbackPlan(possible=False, message=f"{request.container} already runs {target}")
    return RollbackPlan(
        possible=True,
        message=f"{spot.image} → {target}",
        current_image=spot.image,
        target_image=target,
        abandoned_tag=current_tag,
    )
