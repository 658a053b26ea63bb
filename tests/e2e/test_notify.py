"""Notifications on the real environment: Slack, the signed webhook, approval links in a browser.

A pushed tag reaches the environment's Headwind as the registry's notification; every message
Headwind sends goes to `tests/slack_standin.py`, which stands in for Slack's Web API and is also
the generic webhook's receiver and the `response_url` of the clicks. Clicks are built from the
recorded message exactly as Slack sends them (a form-encoded, signed `block_actions` payload).

The environment's own Headwind is restarted once for this module with the notification
settings (and once more afterwards without them, so later modules find the environment as
`headwind dev up` left it). A second Headwind next to it would not do: the registry notifies
the environment's API, so the pushes would never reach the second one, and polling the same
task queue, both would run the same workflows, half of the activities without the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from headwind_dev.status import DevStatus
from playwright.sync_api import Browser, Page, expect, sync_playwright
from slack_sdk.signature import SignatureVerifier

from headwind.notifications import links
from tests import slack_standin
from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli, read_status
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
HOOK_PATH = "/hooks/headwind"
RESPONSE_PATH = "/actions/T0HEADWIND/"
TEAM = "T0HEADWIND"
APPROVER = "U0ALICE"
"""In the stand-in's user group S0APPROVERS, the only approvers this Headwind accepts."""
BYSTANDER = "U0BOB"
SETTINGS = (
    "HEADWIND_SLACK_BOT_TOKEN",
    "HEADWIND_SLACK_SIGNING_SECRET",
    "HEADWIND_SLACK_CHANNEL",
    "HEADWIND_SLACK_APPROVERS",
    "HEADWIND_SLACK_API_URL",
    "HEADWIND_NOTIFY_WEBHOOK_URL",
    "HEADWIND_NOTIFY_WEBHOOK_SECRET",
    "HEADWIND_APPROVAL_LINK_SECRET",
    "HEADWIND_PUBLIC_URL",
)


@dataclass(frozen=True)
class Notified:
    """The environment's Headwind as this module configured it, and where its messages go."""

    dev_env: DevStatus
    standin: slack_standin.StandIn
    env: dict[str, str]
    """The environment `headwind dev up` starts Headwind with (for a restart after a kill)."""
    signing_secret: str
    webhook_secret: bytes
    link_secret: bytes

    @property
    def api_url(self) -> str:
        return self.dev_env.api_url


def _restart_headwind(dev_env: DevStatus, env: dict[str, str], signum: int) -> None:
    """Stop the environment's Headwind with `signum`; `dev up` starts it again with `env`."""
    process = read_status(Path(dev_env.state_dir)).processes["headwind"]
    pid = process.pid
    if process.running and pid is not None:
        os.kill(pid, signum)
        wait_for(
            lambda: Path(f"/proc/{pid}").exists(),
            lambda alive: not alive,
            what=f"Headwind (pid {pid}) to stop",
            interval=0.1,
        )
    started = subprocess.run(
        [*headwind_cli(), "dev", "up", "--detach", "--state-dir", dev_env.state_dir],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=env,
    )
    assert started.returncode == 0, started.stderr


@pytest.fixture(scope="module")
def notified(dev_env: DevStatus) -> Iterator[Notified]:
    plain = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    signing_secret, webhook_secret, link_secret = (secrets.token_hex(16) for _ in range(3))
    with slack_standin.running() as standin:
        env = {
            **plain,
            "HEADWIND_SLACK_BOT_TOKEN": "xoxb-e2e-" + secrets.token_hex(8),
            "HEADWIND_SLACK_SIGNING_SECRET": signing_secret,
            "HEADWIND_SLACK_CHANNEL": "#deploys",
            "HEADWIND_SLACK_APPROVERS": "S0APPROVERS",
            "HEADWIND_SLACK_API_URL": standin.api_url,
            "HEADWIND_NOTIFY_WEBHOOK_URL": standin.url + HOOK_PATH,
            "HEADWIND_NOTIFY_WEBHOOK_SECRET": webhook_secret,
            "HEADWIND_APPROVAL_LINK_SECRET": link_secret,
            "HEADWIND_PUBLIC_URL": dev_env.api_url,
        }
        _restart_headwind(dev_env, env, signal.SIGTERM)
        try:
            yield Notified(
                dev_env=dev_env,
                standin=standin,
                env=env,
                signing_secret=signing_secret,
                webhook_secret=webhook_secret.encode(),
                link_secret=link_secret.encode(),
            )
        finally:
            _restart_headwind(dev_env, plain, signal.SIGTERM)


@pytest.fixture(scope="module")
def api(dev_env: DevStatus) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_env.api_url, timeout=60) as client:
        yield client


# -- the workload and its update -----------------------------------------------------------------


def _push(reference: str) -> None:
    pushed = subprocess.run(
        [*headwind_cli(), "dev", "push", reference],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert pushed.returncode == 0, pushed.stderr


def _deploy(
    notified: Notified, api: httpx.Client, kube: Kube, namespace: str, annotations: dict[str, str]
) -> str:
    """An annotated Deployment on a fresh repository at 1.0.0, indexed; returns the repository."""
    repository = f"{notified.dev_env.registry}/e2e/notify-{uuid.uuid4().hex[:8]}"
    _push(f"{repository}:1.0.0")
    manifest = manifests.deployment("web", f"{repository}:1.0.0", 1)
    manifest["metadata"]["annotations"] = {
        "headwind.sh/policy": "minor",
        "headwind.sh/min-update-interval": "0",
        **annotations,
    }
    kube.apps.create_namespaced_deployment(namespace, manifest)

    def matched() -> int:
        # Asked with the current tag, so nothing is proposed.
        response = api.post(
            "/webhook/native",
            json={"image": f"{repository}:1.0.0"},
            headers={"Authorization": f"Bearer {notified.dev_env.webhook_token}"},
        )
        assert response.status_code == 202, response.text
        return int(response.json()["matched"])

    wait_for(matched, lambda n: n >= 1, what=f"the index to hold {repository}", timeout=60)
    return repository


def _image(kube: Kube, namespace: str) -> str:
    deployment = kube.apps.read_namespaced_deployment(name="web", namespace=namespace)
    return str(deployment.spec.template.spec.containers[0].image)


def _phase(api: httpx.Client, namespace: str, request: str) -> str:
    response = api.get(f"/api/v1/updates/{namespace}/{request}")
    assert response.status_code == 200, response.text
    return str(response.json()["phase"])


def _wait_phase(
    api: httpx.Client, namespace: str, request: str, phase: str, timeout: float = 90
) -> None:
    wait_for(
        lambda: _phase(api, namespace, request),
        lambda current: current == phase,
        what=f"{namespace}/{request} to reach {phase}",
        timeout=timeout,
        interval=0.5,
    )


# -- Slack ---------------------------------------------------------------------------------------


def _messages(standin: slack_standin.StandIn, namespace: str) -> list[dict[str, Any]]:
    """The namespace's Slack messages as they are now, in the order they were posted."""
    return [
        message
        for message in standin.posted()
        if f"/{namespace}/" in str((message.get("metadata") or {}).get("event_payload") or {})
    ]


def _event(message: dict[str, Any]) -> str:
    return str(message["metadata"]["event_payload"]["event"])


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: {"block_id": block.get("block_id"), **element}
        for block in message.get("blocks") or ()
        if block.get("type") == "actions"
        for element in block.get("elements") or ()
        if element.get("type") == "button"
    }


def _request_message(standin: slack_standin.StandIn, namespace: str) -> dict[str, Any]:
    """The update's first message: its approval request, posted with the buttons."""
    found = wait_for(
        lambda: [m for m in _messages(standin, namespace) if not m.get("thread_ts")],
        lambda tops: len(tops) == 1 and bool(_buttons(tops[0])),
        what=f"the Slack message of {namespace} with Approve and Reject",
        timeout=90,
        interval=0.25,
    )
    return found[0]


def _block_actions(
    message: dict[str, Any], action_id: str, response_url: str, user: str = APPROVER
) -> dict[str, Any]:
    """The interaction payload Slack sends when `user` presses a button of `message`."""
    button = _buttons(message)[action_id]
    handle = str(slack_standin.USERS[user]["name"])
    return {
        "type": "block_actions",
        "user": {"id": user, "username": handle, "name": handle, "team_id": TEAM},
        "api_app_id": "A0HEADWIND",
        "token": "unused-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": slack_standin.CHANNEL_ID,
            "is_ephemeral": False,
        },
        "trigger_id": f"{int(time.time())}.1.{secrets.token_hex(8)}",
        "team": {"id": TEAM, "domain": "headwind-e2e"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": slack_standin.CHANNEL_ID, "name": "deploys"},
        "message": {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0HEADWIND",
            "text": message["text"],
            "ts": message["ts"],
            "blocks": message["blocks"],
            "metadata": message.get("metadata"),
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": button["block_id"],
                "text": button["text"],
                "value": button["value"],
                "style": button.get("style"),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def _click(
    notified: Notified,
    payload: dict[str, Any],
    *,
    secret: str | None = None,
    age: float = 0,
) -> httpx.Response:
    """POST the payload to the interactivity endpoint, signed as Slack signs it (v0)."""
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
    timestamp = str(int(time.time() - age))
    verifier = SignatureVerifier(secret or notified.signing_secret)
    return httpx.post(
        f"{notified.api_url}/slack/interactions",
        content=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body) or "",
        },
        timeout=10,
    )


def _answers(standin: slack_standin.StandIn, response_url: str) -> list[dict[str, Any]]:
    path = response_url.removeprefix(standin.url)
    return [call.body for call in standin.called(path)]


def _updates_of(standin: slack_standin.StandIn, ts: str) -> int:
    return sum(1 for call in standin.called("/api/chat.update") if call.body.get("ts") == ts)


def _approve_from_slack(
    notified: Notified, api: httpx.Client, namespace: str, repository: str
) -> tuple[dict[str, Any], str]:
    """Push 1.1.0, wait for the request's buttons, press Approve; returns message and request."""
    _push(f"{repository}:1.1.0")
    message = _request_message(notified.standin, namespace)
    request = _buttons(message)["headwind_approve"]["value"].split("/", 1)[1]
    _wait_phase(api, namespace, request, "Pending")
    response_url = f"{notified.standin.url}{RESPONSE_PATH}{uuid.uuid4().hex}"
    clicked = _click(notified, _block_actions(message, "headwind_approve", response_url))
    assert clicked.status_code == 200, clicked.text
    return message, request


def _calls_about(standin: slack_standin.StandIn, namespace: str) -> int:
    """Calls a click on this namespace's request could cause (the environment's other updates
    may notify the stand-in too): its messages, user look-ups, answers to clicks."""
    return sum(
        1
        for call in list(standin.calls)
        if namespace.encode() in call.raw
        or call.path == "/api/users.info"
        or call.path.startswith(RESPONSE_PATH)
    )


def _one_message_per_transition(
    standin: slack_standin.StandIn, namespace: str, first: dict[str, Any], events: list[str]
) -> None:
    messages = _messages(standin, namespace)
    assert Counter(_event(m) for m in messages) == Counter(events)
    assert [m["ts"] for m in messages if not m.get("thread_ts")] == [first["ts"]]
    assert {m["thread_ts"] for m in messages if m.get("thread_ts")} == {first["ts"]}
    # The first message is re-rendered once per later transition.
    assert _updates_of(standin, first["ts"]) == len(events) - 1


SLACK_EVENTS = ["request.created", "update.approved", "update.completed"]
"""An update that needs approval reaches Slack first with its request (posted with the buttons,
so approvers are notified); "detected" goes to the other sinks only."""


def test_slack_approval_patches_updates_the_message_and_threads_the_rest(
    notified: Notified, api: httpx.Client, kube: Kube, namespace: str
) -> None:
    standin = notified.standin
    repository = _deploy(notified, api, kube, namespace, {})
    _push(f"{repository}:1.1.0")
    message = _request_message(standin, namespace)
    request = _buttons(message)["headwind_approve"]["value"].split("/", 1)[1]
    _wait_phase(api, namespace, request, "Pending")
    assert set(_buttons(message)) == {"headwind_approve", "headwind_reject"}
    carrying_buttons = [
        call
        for call in standin.called("/api/chat.postMessage") + standin.called("/api/chat.update")
        if _buttons(call.body) and f"{namespace}/" in json.dumps(call.body)
    ]
    assert len(carrying_buttons) == 1, "only the request message carries buttons"

    response_url = f"{standin.url}{RESPONSE_PATH}{uuid.uuid4().hex}"
    click = _block_actions(message, "headwind_approve", response_url)
    forged = [
        ("a signature made with another secret", "not-the-signing-secret", 0.0),
        ("a replay signed six minutes ago", None, 360.0),
    ]
    calls_before = _calls_about(standin, namespace)
    for what, secret, age in forged:
        refused = _click(notified, click, secret=secret, age=age)
        assert refused.status_code == 401, what
    time.sleep(2)  # what a wrongly accepted click would have started by now
    assert _phase(api, namespace, request) == "Pending"
    assert _image(kube, namespace) == f"{repository}:1.0.0"
    assert _calls_about(standin, namespace) == calls_before, "a refused click said nothing"

    outsider_url = f"{standin.url}{RESPONSE_PATH}{uuid.uuid4().hex}"
    outsider = _block_actions(message, "headwind_approve", outsider_url, user=BYSTANDER)
    assert _click(notified, outsider).status_code == 200
    told = wait_for(
        lambda: _answers(standin, outsider_url),
        bool,
        what="the answer to a click by someone not on HEADWIND_SLACK_APPROVERS",
        timeout=30,
    )
    assert [answer["text"] for answer in told] == ["You are not one of Headwind's Slack approvers."]
    assert _phase(api, namespace, request) == "Pending"

    assert _click(notified, click).status_code == 200
    wait_for(
        lambda: _image(kube, namespace),
        lambda image: image == f"{repository}:1.1.0",
        what="the Deployment patched to 1.1.0",
        timeout=60,
    )
    _wait_phase(api, namespace, request, "Completed")
    wait_for(
        lambda: _messages(standin, namespace),
        lambda messages: [_event(m) for m in messages] == SLACK_EVENTS,
        what="the completion in the thread",
        timeout=30,
    )
    status = api.get(f"/api/v1/updates/{namespace}/{request}").json()
    assert status["approved_by"] == f"slack:{APPROVER}"
    first = next(m for m in _messages(standin, namespace) if m["ts"] == message["ts"])
    assert not _buttons(first), "the decided request keeps no buttons"
    assert f"approved by <@{APPROVER}>" in json.dumps(first["blocks"])
    assert "Completed" in json.dumps(first["blocks"])
    _one_message_per_transition(standin, namespace, message, SLACK_EVENTS)
    assert _answers(standin, response_url) == [], "a click that worked needs no answer"

    again = _click(notified, _block_actions(message, "headwind_approve", response_url))
    assert again.status_code == 200
    answers = wait_for(
        lambda: _answers(standin, response_url),
        bool,
        what="the ephemeral answer to the second click",
        timeout=30,
    )
    assert len(answers) == 1
    assert answers[0]["response_type"] == "ephemeral"
    assert answers[0]["replace_original"] is False
    assert answers[0]["text"] == (
        f"Already decided: update request {namespace}/{request} is Completed, "
        f"approved by <@{APPROVER}>. Nothing done."
    )
    time.sleep(1)
    _one_message_per_transition(standin, namespace, message, SLACK_EVENTS)
    assert _image(kube, namespace) == f"{repository}:1.1.0"


def _is_reply(namespace: str, event: str) -> Callable[[str, dict[str, Any]], bool]:
    def chosen(path: str, body: dict[str, Any]) -> bool:
        payload = (body.get("metadata") or {}).get("event_payload") or {}
        return (
            path == "/api/chat.postMessage"
            and payload.get("event") == event
            and f"/{namespace}/" in str(payload.get("workflow_id"))
        )

    return chosen


def test_kill_9_while_slack_takes_a_reply_still_sends_each_transition_once(
    notified: Notified, api: httpx.Client, kube: Kube, namespace: str
) -> None:
    """Between approval and completion, at the worst moment: Slack has posted the approval's
    reply, and Headwind dies before it hears so (and before it can note it)."""
    standin = notified.standin
    repository = _deploy(notified, api, kube, namespace, {})
    standin.hold_answer(_is_reply(namespace, "update.approved"))
    try:
        message, request = _approve_from_slack(notified, api, namespace, repository)
        assert standin.held.wait(60), "the approval's reply never reached Slack"
        _restart_headwind(notified.dev_env, notified.env, signal.SIGKILL)
    finally:
        standin.release()
    # Temporal tries the notification again once its attempt's 60 s start-to-close timeout is
    # over; the retry finds the reply in the thread instead of posting it again.
    _wait_phase(api, namespace, request, "Completed", timeout=150)
    wait_for(
        lambda: _messages(standin, namespace),
        lambda messages: "update.completed" in [_event(m) for m in messages],
        what="the completion in the thread",
        timeout=30,
    )
    time.sleep(1)
    _one_message_per_transition(standin, namespace, message, SLACK_EVENTS)
    assert any(
        call.body.get("ts") == message["ts"]
        for call in standin.called("/api/conversations.replies")
    ), "the retry looked into the thread"
    assert _image(kube, namespace) == f"{repository}:1.1.0"
    history = json.loads(
        kube.apps.read_namespaced_deployment(name="web", namespace=namespace).metadata.annotations[
            "headwind.sh/update-history"
        ]
    )
    assert [entry["image"] for entry in history] == [f"{repository}:1.1.0"]


# -- the generic webhook -------------------------------------------------------------------------


def _header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), "")


def _deliveries(notified: Notified, namespace: str) -> list[dict[str, Any]]:
    """The namespace's deliveries, each checked as a receiver must: a fresh, genuine HMAC."""
    received = []
    for call in notified.standin.called(HOOK_PATH):
        body = json.loads(call.raw)
        if body["update"]["workload"]["namespace"] != namespace:
            continue
        timestamp = _header(call.headers, "X-Headwind-Timestamp")
        expected = hmac.new(
            notified.webhook_secret, timestamp.encode() + b"." + call.raw, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(
            _header(call.headers, "X-Headwind-Signature"), f"sha256={expected}"
        ), f"a delivery with a wrong signature: {body['id']}"
        assert abs(time.time() - int(timestamp)) < 300
        assert _header(call.headers, "X-Headwind-Event-Id") == body["id"]
        received.append(body)
    return received


def _delivered(notified: Notified, namespace: str, event: str, count: int = 1) -> list[Any]:
    return wait_for(
        lambda: [d for d in _deliveries(notified, namespace) if d["event"] == event],
        lambda found: len(found) >= count,
        what=f"{count} {event} deliveries for {namespace}",
        timeout=90,
        interval=0.25,
    )


def _approve(api: httpx.Client, namespace: str, request: str) -> None:
    response = api.post(f"/api/v1/updates/{namespace}/{request}/approve", json={"approver": "e2e"})
    assert response.status_code == 200, response.text


def test_webhook_gets_every_transition_once_signed(
    notified: Notified, api: httpx.Client, kube: Kube, namespace: str
) -> None:
    repository = _deploy(
        notified,
        api,
        kube,
        namespace,
        {
            # `all` ignores variants: the kwok failure suffix (-crashloop) is one.
            "headwind.sh/policy": "all",
            "headwind.sh/auto-rollback": "true",
            "headwind.sh/rollback-timeout": "40s",
            "headwind.sh/health-check-retries": "2",
        },
    )
    _push(f"{repository}:1.1.0")
    (first,) = _delivered(notified, namespace, "request.created")
    _approve(api, namespace, first["update"]["request_name"])
    _delivered(notified, namespace, "update.completed")

    _push(f"{repository}:1.2.0-crashloop")
    second = _delivered(notified, namespace, "request.created", 2)[1]
    _approve(api, namespace, second["update"]["request_name"])
    _delivered(notified, namespace, "rollback.completed")
    time.sleep(1)

    deliveries = _deliveries(notified, namespace)
    ids = Counter(delivery["id"] for delivery in deliveries)
    completed = ["update.detected", "request.created", "update.approved", "update.completed"]
    rolled_back = [
        "update.detected",
        "request.created",
        "update.approved",
        "rollback.triggered",
        "rollback.completed",
    ]
    expected = [f"{first['update']['workflow_id']}/{event}" for event in completed] + [
        f"{second['update']['workflow_id']}/{event}" for event in rolled_back
    ]
    assert ids == Counter(expected)
    assert _image(kube, namespace) == f"{repository}:1.1.0"
    assert deliveries[-1]["update"]["phase"] == "RolledBack"


# -- signed approval links -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


def _open(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None, url
    return response.status


def test_approval_link_in_a_browser(
    notified: Notified, api: httpx.Client, kube: Kube, namespace: str, browser: Browser
) -> None:
    repository = _deploy(notified, api, kube, namespace, {})
    _push(f"{repository}:1.1.0")
    (created,) = _delivered(notified, namespace, "request.created")
    link = created["links"]["approve"]
    assert link.startswith(f"{notified.api_url}/approvals/")
    update = created["update"]

    page = browser.new_page()
    try:
        assert _open(page, link) == 200
        expect(page.get_by_role("heading")).to_have_text("Approve this update?")
        expect(page.locator("table")).to_contain_text(f"{repository}:1.1.0")
        assert _image(kube, namespace) == f"{repository}:1.0.0", "opening a link changes nothing"
        page.get_by_label("Your name").fill("Erin")
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("heading")).to_have_text("Approved")
        expect(page.locator("body")).to_contain_text("Thank you, Erin.")
        wait_for(
            lambda: _image(kube, namespace),
            lambda image: image == f"{repository}:1.1.0",
            what="the Deployment patched to 1.1.0",
            timeout=60,
        )
        status = api.get(f"/api/v1/updates/{namespace}/{update['request_name']}").json()
        assert status["approved_by"] == "Erin"

        assert _open(page, link) == 409
        expect(page.get_by_role("heading")).to_have_text("Already decided")
        expect(page.locator("body")).to_contain_text("approved by Erin")
        assert page.locator("form").count() == 0

        expired = links.sign(
            notified.link_secret,
            action=links.LinkAction.APPROVE,
            namespace=namespace,
            name=update["request_name"],
            workflow_id=update["workflow_id"],
            now=datetime.now(UTC) - timedelta(hours=2),
            ttl=timedelta(hours=1),
        )
        assert _open(page, f"{notified.api_url}/approvals/{expired}") == 410
        expect(page.get_by_role("heading")).to_have_text("This link has expired")
        expect(page.locator("body")).to_contain_text("Nothing was changed.")
        assert page.locator("form").count() == 0

        token = link.rsplit("/", 1)[1]
        altered = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert _open(page, f"{notified.api_url}/approvals/{altered}") == 400
        expect(page.get_by_role("heading")).to_have_text("This link is not valid")
    finally:
        page.close()
