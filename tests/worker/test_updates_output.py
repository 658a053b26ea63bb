"""`headwind update`: a table by default, JSON with `-o json`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clients.temporal.listing import UpdateSummary
from headwind.models import Phase, TimelineEntry, UpdateStatus, WorkloadKind, WorkloadRef
from worker.cli import updates

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def summary(name: str, phase: str, started: datetime | None) -> UpdateSummary:
    return UpdateSummary(
        workflow_id=f"update/prod/{name}",
        request_name=name,
        namespace="prod",
        kind="Deployment",
        name="web",
        container="web",
        tag="1.27.1",
        repository="docker.io/library/nginx",
        phase=phase,
        started_at=started,
        closed_at=None,
        running=True,
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([], ["No updates found."], id="nothing"),
        pytest.param(
            [summary("r1", "Pending", datetime(2026, 12, 2, 11, 50, tzinfo=UTC))],
            [
                "NAMESPACE NAME TARGET CONTAINER TAG PHASE AGE",
                "prod r1 Deployment/web web 1.27.1 Pending 10m",
            ],
            id="one pending",
        ),
        pytest.param(
            [summary("r2", "", None)],
            [
                "NAMESPACE NAME TARGET CONTAINER TAG PHASE AGE",
                "prod r2 Deployment/web web 1.27.1 <none> <unknown>",
            ],
            id="no phase recorded yet",
        ),
    ],
)
def test_summary_table(rows: list[UpdateSummary], expected: list[str]) -> None:
    lines = updates.summary_table(rows, now=NOW).splitlines()
    assert [" ".join(line.split()) for line in lines] == expected


def test_status_fields_show_the_timeline() -> None:
    status = UpdateStatus(
        workflow_id="update/prod/r",
        request_name="r",
        workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="prod", name="web"),
        container="web",
        tag="1.27.1",
        phase=Phase.APPROVED,
        approved_by="alice",
        timeline=(
            TimelineEntry(
                at=datetime(2026, 12, 2, 11, 0, tzinfo=UTC), phase=Phase.PENDING, message="waits"
            ),
            TimelineEntry(
                at=datetime(2026, 12, 2, 11, 5, tzinfo=UTC),
                phase=Phase.APPROVED,
                message="by alice",
            ),
        ),
    )
    text = updates.status_fields(status)
    assert "Name:" in text
    assert "prod/r" in text
    assert "Approved by: alice" in text
    assert "Rejected by" not in text
    assert text.splitlines()[-2:] == [
        "  2026-12-02 11:00:00  Pending     waits",
        "  2026-12-02 11:05:00  Approved    by alice",
    ]


def test_an_unreachable_temporal_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    monkeypatch.setenv("HEADWIND_TEMPORAL_ADDRESS", "127.0.0.1:1")
    result = CliRunner().invoke(updates.app, ["list"])
    assert result.exit_code == 1
    assert "cannot reach Temporal at 127.0.0.1:1" in result.output
    assert "Traceback" not in result.output


# (arguments, the message)
BAD_LISTINGS = [
    pytest.param(["--cursor", "garbage"], "not one this API handed out", id="garbage cursor"),
    pytest.param(["--search", "a b"], "may hold only letters", id="space in the search"),
    pytest.param(["--namespace", "Team"], "namespace", id="upper-case namespace"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_LISTINGS)
def test_a_bad_listing_is_refused_before_temporal_is_reached(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    from typer.testing import CliRunner

    monkeypatch.setenv("HEADWIND_TEMPORAL_ADDRESS", "127.0.0.1:1")
    result = CliRunner().invoke(updates.app, ["list", *arguments])
    assert result.exit_code == 2
    assert message in result.output
    assert "cannot reach Temporal" not in result.output
