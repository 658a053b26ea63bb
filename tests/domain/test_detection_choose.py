"""`detection.choose`: what a poll of a whole tag list proposes to each subscriber."""

import json

import pytest

from headwind import annotations, detection, images
from headwind.index import Subscriber
from headwind.models import WorkloadKind, WorkloadRef

REPO = "registry.example.com/team/app"
OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64
OTHER = "sha256:" + "3" * 64
TAGS = ["1.0.0", "1.0.1", "1.1.0", "2.0.0", "latest", "1.2.0-rc.1"]


def sub(
    image: str,
    *,
    name: str = "web",
    container: str = "main",
    **values: str,
) -> Subscriber:
    written = {"headwind.sh/event-source": "polling"}
    written |= {f"headwind.sh/{k.replace('_', '-')}": v for k, v in values.items()}
    parsed, _ = annotations.parse(written)
    ref = images.parse(image)
    return Subscriber(
        workload=WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace="apps", name=name),
        container=container,
        image=image,
        repository=ref.repository_key,
        tag=ref.effective_tag or "",
        digest=ref.digest,
        annotations=parsed,
    )


def outcome(match: detection.Match) -> str:
    if match.proposal is None:
        return match.reason
    digest = f"@{match.proposal.digest[:8]}" if match.proposal.digest else ""
    return f"→ {match.proposal.tag}{digest}"


@pytest.mark.parametrize(
    ("subscriber", "digests", "expected"),
    [
        pytest.param(sub(f"{REPO}:1.0.0", policy="patch"), {}, "→ 1.0.1", id="patch-chooses-1.0.1"),
        pytest.param(sub(f"{REPO}:1.0.0", policy="minor"), {}, "→ 1.1.0", id="minor-chooses-1.1.0"),
        pytest.param(sub(f"{REPO}:1.0.0", policy="major"), {}, "→ 2.0.0", id="major-chooses-2.0.0"),
        pytest.param(
            sub(f"{REPO}:1.0.0", policy="minor", prerelease="true"),
            {},
            "→ 1.2.0-rc.1",
            id="prerelease-allowed",
        ),
        pytest.param(
            sub(f"{REPO}:2.0.0", policy="major"), {}, "nothing-eligible", id="already-newest"
        ),
        pytest.param(
            sub(f"{REPO}:latest", policy="minor"),
            {},
            "current-not-a-version",
            id="non-version-current-tag",
        ),
        pytest.param(sub(f"{REPO}:1.0.0", policy="none"), {}, "policy-none", id="policy-none"),
        pytest.param(
            sub(f"{REPO}:1.0.0", policy="minor", event_source="webhook"),
            {},
            "event-source is webhook",
            id="webhook-only-ignores-polling",
        ),
        pytest.param(
            sub(f"{REPO}:1.0.0", policy="minor", event_source="none"),
            {},
            "event-source is none",
            id="event-source-none",
        ),
        pytest.param(
            sub(f"{REPO}:1.0.0", policy="minor", images="sidecar"),
            {},
            "not-tracked",
            id="container-not-tracked",
        ),
        pytest.param(
            sub(f"{REPO}:1.0.0", policy="minor", rejected_tags=""),
            {},
            "→ 1.1.0",
            id="empty-remembered-tags",
        ),
        pytest.param(
            sub(f"{REPO}:1.0.0", policy="minor", pin_digest="true"),
            {"1.1.0": NEW, "1.0.0": OLD},
            "→ 1.1.0@sha256:2",
            id="pin-digest-new-tag-carries-its-digest",
        ),
        pytest.param(
            sub(f"{REPO}:1.1.0@{OLD}", policy="minor", pin_digest="true"),
            {"1.1.0": NEW},
            "→ 1.1.0@sha256:2",
            id="pin-digest-rebuilt-current-tag",
        ),
        pytest.param(
            sub(f"{REPO}:1.1.0@{NEW}", policy="minor", pin_digest="true"),
            {"1.1.0": NEW},
            "same-digest",
            id="pin-digest-unchanged",
        ),
        pytest.param(
            sub(f"{REPO}:1.1.0", policy="minor", pin_digest="true"),
            {"1.1.0": NEW},
            "→ 1.1.0@sha256:2",
            id="pin-digest-pins-an-unpinned-tag",
        ),
        pytest.param(
            sub(f"{REPO}:1.0.0@{OLD}", policy="force"),
            {"1.0.0": NEW},
            "→ 1.0.0@sha256:2",
            id="force-new-digest-of-a-pinned-tag",
        ),
        pytest.param(
            sub(f"{REPO}:1.0.0@{NEW}", policy="force"),
            {"1.0.0": NEW},
            "same-digest",
            id="force-same-digest",
        ),
        pytest.param(
            sub(f"{REPO}:latest", policy="force"),
            {"latest": NEW},
            detection.DIGEST_BASELINE,
            id="force-unknown-build-records-a-baseline",
        ),
        pytest.param(
            sub(
                f"{REPO}:latest",
                policy="force",
                digests=json.dumps({"main": {"tag": "latest", "digest": OLD}}),
            ),
            {"latest": NEW},
            "→ latest@sha256:2",
            id="force-recorded-digest-changed",
        ),
        pytest.param(
            sub(
                f"{REPO}:latest",
                policy="force",
                digests=json.dumps({"main": {"tag": "latest", "digest": NEW}}),
            ),
            {"latest": NEW},
            "same-digest",
            id="force-recorded-digest-unchanged",
        ),
        pytest.param(
            sub(
                f"{REPO}:latest",
                policy="force",
                digests=json.dumps({"main": {"tag": "v0", "digest": NEW}}),
            ),
            {"latest": NEW},
            detection.DIGEST_BASELINE,
            id="force-record-of-another-tag-is-ignored",
        ),
        pytest.param(
            sub(f"{REPO}:latest", policy="force"),
            {},
            "current-tag-digest-unknown",
            id="force-current-tag-gone",
        ),
        pytest.param(
            sub(
                f"{REPO}:latest@{OLD}",
                policy="force",
                rejected_tags=json.dumps({"main": ["latest"]}),
            ),
            {"latest": NEW},
            "rejected-or-failed-earlier",
            id="force-rejected-tag-is-not-followed",
        ),
    ],
)
def test_choose(subscriber: Subscriber, digests: dict[str, str], expected: str) -> None:
    tags = [*TAGS, *digests]
    (match,) = detection.choose(REPO, tags, [subscriber], digests=digests, source="polling")
    assert outcome(match) == expected
    if match.proposal is not None:
        assert match.proposal.source == "polling"
        assert match.proposal.workload == subscriber.workload


def test_every_subscriber_gets_its_own_candidate_from_one_scan() -> None:
    subscribers = [
        sub(f"{REPO}:1.0.0", name="a", policy="patch"),
        sub(f"{REPO}:1.0.0", name="b", policy="major"),
        sub(f"{REPO}:1.0.0", name="c", policy="minor", event_source="webhook"),
    ]
    matches = detection.choose(REPO, TAGS, subscribers, digests={}, source="polling")
    assert [outcome(m) for m in matches] == ["→ 1.0.1", "→ 2.0.0", "event-source is webhook"]


def test_a_subscriber_of_another_repository_is_left_alone() -> None:
    other = sub("nginx:1.0.0", policy="major")
    (match,) = detection.choose(REPO, TAGS, [other], digests={}, source="polling")
    assert match.reason == "other-repository"


def test_force_never_chooses_another_tag_from_a_list() -> None:
    force = sub(f"{REPO}:1.0.0@{OLD}", policy="force")
    (match,) = detection.choose(REPO, TAGS, [force], digests={"1.0.0": OLD}, source="polling")
    assert match.proposal is None


@pytest.mark.parametrize(
    ("subscriber", "expected"),
    [
        pytest.param(sub(f"{REPO}:1.0.0", policy="minor"), set(), id="semver-needs-none"),
        pytest.param(sub(f"{REPO}:latest", policy="force"), {"latest"}, id="force-current-tag"),
        pytest.param(
            sub(f"{REPO}:1.0.0", policy="minor", pin_digest="true"),
            {"1.0.0", "1.1.0"},
            id="pin-current-and-chosen",
        ),
        pytest.param(
            sub(f"{REPO}:9.9.9", policy="force"), set(), id="current-tag-not-listed-is-not-asked"
        ),
        pytest.param(
            sub(f"{REPO}:latest", policy="force", event_source="webhook"),
            set(),
            id="not-polling-needs-none",
        ),
    ],
)
def test_digests_needed(subscriber: Subscriber, expected: set[str]) -> None:
    assert detection.digests_needed(REPO, TAGS, [subscriber]) == expected


def test_a_webhook_push_compares_with_the_recorded_digest() -> None:
    recorded = sub(
        f"{REPO}:latest",
        policy="force",
        event_source="webhook",
        digests=json.dumps({"main": {"tag": "latest", "digest": NEW}}),
    )
    same = detection.PushedTag(REPO, "latest", NEW)
    changed = detection.PushedTag(REPO, "latest", OTHER)
    path = detection.Path.WEBHOOK
    assert detection.match(same, [recorded], path=path, source="webhook")[0].proposal is None
    assert detection.match(changed, [recorded], path=path, source="webhook")[0].proposal
