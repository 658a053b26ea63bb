"""The rules the API holds every name, tag and text to (`headwind.validation`), case by case."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from headwind import validation
from headwind.models import Phase, WorkloadKind

DEPLOYMENT, CRONJOB, HELM = WorkloadKind.DEPLOYMENT, WorkloadKind.CRONJOB, WorkloadKind.HELMRELEASE


def name_of(kind: WorkloadKind) -> Callable[[str], str]:
    return lambda value: validation.workload_name(kind, value)


def tag_of(kind: WorkloadKind) -> Callable[[str], str]:
    return lambda value: validation.tag(kind, value)


def target_of(kind: WorkloadKind) -> Callable[[str], str]:
    return lambda value: validation.rollback_target(kind, value)


def actor(value: str) -> str:
    return validation.actor(value)


# (rule, value, accepted)
CASES = [
    pytest.param(validation.namespace, "team-a", True, id="namespace: team-a = ok"),
    pytest.param(validation.namespace, "a" * 63, True, id="namespace: 63 characters = ok"),
    pytest.param(validation.namespace, "a" * 64, False, id="namespace: 64 characters = refused"),
    pytest.param(validation.namespace, "Team", False, id="namespace: upper case = refused"),
    pytest.param(validation.namespace, "a#b", False, id="namespace: '#' = refused"),
    pytest.param(validation.namespace, "-a", False, id="namespace: leading '-' = refused"),
    pytest.param(validation.namespace, "a.b", False, id="namespace: '.' = refused"),
    pytest.param(validation.namespace, "", False, id="namespace: empty = refused"),
    pytest.param(name_of(DEPLOYMENT), "web.v2", True, id="deployment name: web.v2 = ok"),
    pytest.param(name_of(DEPLOYMENT), "a" * 253, True, id="deployment name: 253 = ok"),
    pytest.param(name_of(DEPLOYMENT), "a" * 254, False, id="deployment name: 254 = refused"),
    pytest.param(name_of(DEPLOYMENT), ".", False, id="deployment name: '.' = refused"),
    pytest.param(name_of(DEPLOYMENT), "..", False, id="deployment name: '..' = refused"),
    pytest.param(name_of(DEPLOYMENT), "a..b", False, id="deployment name: empty part = refused"),
    pytest.param(name_of(DEPLOYMENT), "web/x", False, id="deployment name: '/' = refused"),
    pytest.param(name_of(DEPLOYMENT), "web_x", False, id="deployment name: '_' = refused"),
    pytest.param(name_of(CRONJOB), "c" * 52, True, id="cronjob name: 52 = ok"),
    pytest.param(name_of(CRONJOB), "c" * 53, False, id="cronjob name: 53 = refused"),
    pytest.param(validation.container_name, "app", True, id="container: app = ok"),
    pytest.param(validation.container_name, "app.v2", False, id="container: '.' = refused"),
    pytest.param(validation.container_name, "App", False, id="container: upper case = refused"),
    pytest.param(tag_of(DEPLOYMENT), "1.2.3-rc.1_b", True, id="image tag: 1.2.3-rc.1_b = ok"),
    pytest.param(tag_of(DEPLOYMENT), "t" * 128, True, id="image tag: 128 = ok"),
    pytest.param(tag_of(DEPLOYMENT), "t" * 129, False, id="image tag: 129 = refused"),
    pytest.param(tag_of(DEPLOYMENT), "1.0+build", False, id="image tag: '+' = refused"),
    pytest.param(tag_of(DEPLOYMENT), ".1", False, id="image tag: leading '.' = refused"),
    pytest.param(tag_of(DEPLOYMENT), "1.0\x00", False, id="image tag: NUL = refused"),
    pytest.param(tag_of(DEPLOYMENT), "1.0é", False, id="image tag: non-ASCII = refused"),
    pytest.param(tag_of(HELM), "6.5.0+build.1", True, id="chart version: '+' = ok"),
    pytest.param(tag_of(HELM), "+6.5.0", False, id="chart version: leading '+' = refused"),
    pytest.param(target_of(DEPLOYMENT), "1.0.0", True, id="rollback to: a tag = ok"),
    pytest.param(target_of(DEPLOYMENT), "r.local/web:1.0.0", True,
                 id="rollback to: a reference = ok"),
    pytest.param(target_of(DEPLOYMENT), "r.local/Web:1.0", False,
                 id="rollback to: a bad reference = refused"),
    pytest.param(target_of(DEPLOYMENT), "1.0 ; rm", False, id="rollback to: spaces = refused"),
    pytest.param(target_of(HELM), "6.5.0+b", True, id="rollback to: a chart version = ok"),
    pytest.param(target_of(HELM), "6.5 0", False, id="rollback to: chart with space = refused"),
    pytest.param(actor, "Zoë O'Brien <zoe@example.com>", True, id="actor: a person = ok"),
    pytest.param(actor, "system:serviceaccount:ci:bot", True, id="actor: an account = ok"),
    pytest.param(actor, "a" * 253, True, id="actor: 253 = ok"),
    pytest.param(actor, "a" * 254, False, id="actor: 254 = refused"),
    pytest.param(actor, "me\nyou", False, id="actor: newline = refused"),
    pytest.param(actor, "me\u200byou", False, id="actor: zero-width space = refused"),
    pytest.param(actor, "me\u202e", False, id="actor: bidi override = refused"),
    pytest.param(actor, "me\x85", False, id="actor: C1 control = refused"),
    pytest.param(validation.reason, "first line\n\tsecond", True, id="reason: lines = ok"),
    pytest.param(validation.reason, "r" * 1025, False, id="reason: 1025 = refused"),
    pytest.param(validation.reason, "bad\x1b[31m", False, id="reason: escape = refused"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "value", "accepted"), CASES)
def test_rule(rule: Callable[[str], str], value: str, accepted: bool) -> None:
    if accepted:
        assert rule(value) == value
    else:
        with pytest.raises(ValueError, match=r"\S") as refused:
            rule(value)
        assert len(str(refused.value)) < 400  # never the whole value


@pytest.mark.parametrize(
    ("text", "phase"),
    [
        pytest.param("Pending", Phase.PENDING, id="exact"),
        pytest.param("rolledback", Phase.ROLLED_BACK, id="any case"),
        pytest.param(" Failed ", Phase.FAILED, id="spaces around"),
    ],
)
def test_phase_by_name(text: str, phase: Phase) -> None:
    assert validation.phase(text) is phase


def test_an_error_quotes_only_the_start_of_the_value() -> None:
    with pytest.raises(ValueError, match="not a DNS-1123 subdomain") as refused:
        validation.workload_name(DEPLOYMENT, "A" * 200)
    assert "A" * 65 not in str(refused.value)
    assert "…" in validation.shown("x" * 100)
