"""Which sinks hear about a workload's updates: the global defaults, or the workload's own.

`headwind.sh/notify` lists sinks, comma-separated: `slack`, `slack:<channel>`, `teams`,
`webhook`, or `none` to silence the workload. `headwind.sh/slack-channel` only moves the
Slack messages to another channel. A bad value is a problem for the caller to report (a
Warning Event) and changes nothing: the default route applies, so a typo never silences a
workload's approvals.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from headwind.annotations import NOTIFY, SLACK_CHANNEL, AnnotationProblem

__all__ = ["NOTIFY", "SLACK_CHANNEL", "Route", "Sink", "route"]

_CHANNEL = re.compile(r"#?[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,20}")
"""A channel name (lower case, as Slack requires) with or without `#`, or a channel ID."""


class Sink(enum.StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    WEBHOOK = "webhook"


class Route(BaseModel):
    """The sinks of one notification, and the Slack channel when Slack is one of them."""

    model_config = ConfigDict(frozen=True)

    sinks: frozenset[Sink] = frozenset()
    slack_channel: str | None = None


def _channel(text: str) -> str:
    if not _CHANNEL.fullmatch(text):
        raise ValueError(f"{text!r} is not a Slack channel name or ID")
    return text


def _sinks(text: str, default: Route) -> Route:
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    if entries == ["none"]:
        return Route()
    sinks: set[Sink] = set()
    channel = default.slack_channel
    for entry in entries:
        name, colon, argument = entry.partition(":")
        try:
            sink = Sink(name.strip().lower())
        except ValueError:
            known = ", ".join(s.value for s in Sink)
            raise ValueError(f"unknown sink {name!r} (known: {known}, or none)") from None
        if colon:
            if sink is not Sink.SLACK:
                raise ValueError(f"{sink.value} takes no argument")
            channel = _channel(argument.strip())
        if sink not in default.sinks:
            raise ValueError(f"{sink.value} is not configured in this Headwind")
        sinks.add(sink)
    return Route(sinks=frozenset(sinks), slack_channel=channel)


def route(
    annotations: Mapping[str, str] | None, default: Route
) -> tuple[Route, list[AnnotationProblem]]:
    """The workload's route; each bad annotation is reported and ignored."""
    annotations = annotations or {}
    problems: list[AnnotationProblem] = []
    chosen = default
    notify = (annotations.get(NOTIFY) or "").strip()
    if notify:
        try:
            chosen = _sinks(notify, default)
        except ValueError as error:
            problems.append(
                AnnotationProblem(
                    key=NOTIFY, value=notify, message=str(error), used="the global default"
                )
            )
    channel = (annotations.get(SLACK_CHANNEL) or "").strip()
    if channel and not (notify and ":" in notify and not problems):
        try:
            chosen = chosen.model_copy(update={"slack_channel": _channel(channel)})
        except ValueError as error:
            problems.append(
                AnnotationProblem(
                    key=SLACK_CHANNEL,
                    value=channel,
                    message=str(error),
                    used=chosen.slack_channel or "none",
                )
            )
    return chosen, problems
