"""`headwind.sh/notify` and `headwind.sh/slack-channel`: who hears about a workload."""

from __future__ import annotations

import pytest

from headwind.annotations import parse as parse_annotations
from headwind.notifications.routing import NOTIFY, SLACK_CHANNEL, Route, Sink, route

EVERYTHING = Route(
    sinks=frozenset({Sink.SLACK, Sink.TEAMS, Sink.WEBHOOK}), slack_channel="#deploys"
)
SLACK_ONLY = Route(sinks=frozenset({Sink.SLACK}), slack_channel="#deploys")


def sinks(*names: Sink) -> frozenset[Sink]:
    return frozenset(names)


@pytest.mark.parametrize(
    ("annotations", "default", "expected", "problem_keys"),
    [
        ({}, EVERYTHING, EVERYTHING, []),
        ({NOTIFY: "  "}, EVERYTHING, EVERYTHING, []),
        (
            {NOTIFY: "webhook"},
            EVERYTHING,
            Route(sinks=sinks(Sink.WEBHOOK), slack_channel="#deploys"),
            [],
        ),
        (
            {NOTIFY: "slack:#team-payments,webhook"},
            EVERYTHING,
            Route(sinks=sinks(Sink.SLACK, Sink.WEBHOOK), slack_channel="#team-payments"),
            [],
        ),
        (
            {NOTIFY: "Slack:C0123ABCD"},
            EVERYTHING,
            Route(sinks=sinks(Sink.SLACK), slack_channel="C0123ABCD"),
            [],
        ),
        ({NOTIFY: "none"}, EVERYTHING, Route(), []),
        (
            {SLACK_CHANNEL: "#payments"},
            EVERYTHING,
            EVERYTHING.model_copy(update={"slack_channel": "#payments"}),
            [],
        ),
        (
            {NOTIFY: "slack:#a", SLACK_CHANNEL: "#b"},
            EVERYTHING,
            Route(sinks=sinks(Sink.SLACK), slack_channel="#a"),
            [],
        ),
        ({NOTIFY: "email"}, EVERYTHING, EVERYTHING, [NOTIFY]),
        ({NOTIFY: "teams:#x"}, EVERYTHING, EVERYTHING, [NOTIFY]),
        ({NOTIFY: "slack:#Bad Channel"}, EVERYTHING, EVERYTHING, [NOTIFY]),
        ({NOTIFY: "teams"}, SLACK_ONLY, SLACK_ONLY, [NOTIFY]),
        ({SLACK_CHANNEL: "general!"}, EVERYTHING, EVERYTHING, [SLACK_CHANNEL]),
        (
            {NOTIFY: "pager", SLACK_CHANNEL: "#ok"},
            EVERYTHING,
            EVERYTHING.model_copy(update={"slack_channel": "#ok"}),
            [NOTIFY],
        ),
    ],
    ids=[
        "no annotation = the default",
        "blank = the default",
        "webhook only",
        "slack to a team channel, and the webhook",
        "slack to a channel ID (sink name in any case)",
        "none silences the workload",
        "slack-channel moves slack only",
        "notify's channel wins over slack-channel",
        "unknown sink: reported, default",
        "argument on a sink that takes none: reported, default",
        "bad channel name: reported, default",
        "sink not configured here: reported, default",
        "bad slack-channel: reported, default channel",
        "bad notify, good slack-channel: both read on their own",
    ],
)
def test_route(
    annotations: dict[str, str], default: Route, expected: Route, problem_keys: list[str]
) -> None:
    chosen, problems = route(annotations, default)
    assert chosen == expected
    assert [p.key for p in problems] == problem_keys
    for problem in problems:
        assert problem.value == annotations[problem.key].strip()
        assert problem.message


def test_the_workload_annotation_parser_leaves_routing_keys_to_the_notifier() -> None:
    """Not "unknown key": the notify activity reads (and reports) them when it sends."""
    _, problems = parse_annotations({NOTIFY: "pager", SLACK_CHANNEL: "#ok"})
    assert problems == []
