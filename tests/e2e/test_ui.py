"""The web UI in a real browser (Debian's Chromium driven by Playwright) on the real environment.

Approve through the confirmation and see the Deployment patched, reject with a reason and see
the tag refused afterwards, read "why not updated?" for real registry tags, roll back from the
history, and render on a phone-sized screen without horizontal scrolling. Every page is also
captured; with `HEADWIND_UPDATE_SCREENSHOTS=1` the captures replace docs/screenshots/ (the README
shows them), otherwise they go to a temporary directory and the checkout stays clean.
Playwright never downloads a browser here: it launches /usr/bin/chromium
(`scripts/install-system-deps`).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from headwind_dev.status import DevStatus
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e import manifests
from tests.e2e.conftest import Kube, headwind_cli
from tests.e2e.polling import wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_SCRATCH = Path(tempfile.gettempdir()) / "headwind-ui-screenshots"
ANNOTATIONS = {
    "headwind.sh/policy": "minor",
    "headwind.sh/event-source": "none",
    "headwind.sh/min-update-interval": "0",
}
TAGS = ("1.0.0", "1.1.0", "1.2.0", "2.0.0", "latest")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def api(dev_env: DevStatus) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_env.api_url, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def image(dev_env: DevStatus) -> str:
    """A repository of the environment's registry holding every tag of `TAGS`."""
    repository = f"{dev_env.registry}/e2e/ui-{uuid.uuid4().hex[:8]}"
    for tag in TAGS:
        result = subprocess.run(
            [*headwind_cli(), "dev", "push", f"{repository}:{tag}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    return repository


@pytest.fixture
def page(browser: Browser, dev_env: DevStatus) -> Iterator[Page]:
    context = browser.new_context(base_url=dev_env.api_url, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())  # the confirmations
    yield opened
    context.close()


def _deploy(kube: Kube, namespace: str, image: str) -> None:
    manifest = manifests.deployment("web", f"{image}:1.0.0", replicas=1)
    manifest["metadata"]["annotations"] = dict(ANNOTATIONS)
    kube.apps.create_namespaced_deployment(namespace, manifest)


def _image_of(kube: Kube, namespace: str) -> str:
    deployment = kube.apps.read_namespaced_deployment(namespace=namespace, name="web")
    return str(deployment.spec.template.spec.containers[0].image)


def _propose(api: httpx.Client, namespace: str, tag: str) -> str:
    body = {"kind": "Deployment", "namespace": namespace, "name": "web", "container": "main"}
    response = api.post("/api/v1/updates", json={**body, "tag": tag})
    assert response.status_code == 202, response.text
    name: str = response.json()["request_name"]
    return name


def _wait_phase(api: httpx.Client, namespace: str, request: str, phase: str) -> dict[str, Any]:
    return wait_for(
        lambda: api.get(f"/api/v1/updates/{namespace}/{request}").json(),
        lambda status: status.get("phase") == phase,
        what=f"{namespace}/{request} to reach {phase}",
        timeout=60,
        interval=0.5,
    )


def _watched(api: httpx.Client, namespace: str) -> None:
    wait_for(
        lambda: api.get("/api/v1/workloads", params={"namespace": namespace}).json(),
        lambda listing: listing["count"] == 1,
        what=f"the watcher to index {namespace}/web",
        timeout=30,
        interval=0.5,
    )


def _filter_to(page: Page, namespace: str, request: str) -> None:
    page.goto("/")
    page.get_by_label("Pause auto-refresh").check()
    page.get_by_label("Namespace").fill(namespace)
    page.get_by_label("Namespace").press("Enter")
    expect(page.locator(f"#row-{request}")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)


def _shot(page: Page, name: str) -> None:
    target = SCREENSHOTS if os.environ.get("HEADWIND_UPDATE_SCREENSHOTS") else _SCRATCH
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=target / f"{name}.png", full_page=False)


def test_approve_explain_and_roll_back(
    page: Page, api: httpx.Client, kube: Kube, namespace: str, image: str
) -> None:
    _deploy(kube, namespace, image)
    _watched(api, namespace)
    request = _propose(api, namespace, "1.1.0")
    _wait_phase(api, namespace, request, "Pending")

    _filter_to(page, namespace, request)
    _shot(page, "updates")
    page.locator(f"#row-{request}").get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("result")).to_contain_text("Completed by anonymous")
    assert _image_of(kube, namespace) == f"{image}:1.1.0"

    page.goto(f"/updates/{namespace}/{request}")
    expect(page.get_by_test_id("phase")).to_have_text("Completed")
    expect(page.get_by_text("Approved by anonymous", exact=True)).to_be_visible()
    _shot(page, "update")

    page.goto(f"/workloads/deployment/{namespace}/web")
    verdicts = page.locator("table.candidates tr[data-tag]")
    expect(verdicts).to_have_count(len(TAGS))
    reasons = {
        row.get_attribute("data-tag"): row.locator("td").nth(1).inner_text()
        for row in verdicts.all()
    }
    assert reasons == {
        "1.0.0": "not-newer",
        "1.1.0": "same-as-current",
        "1.2.0": "chosen",
        "2.0.0": "other-major",
        "latest": "not-a-version",
    }
    _shot(page, "workload")

    page.get_by_role("button", name="Roll back").click()
    expect(page.locator("#rollback-result")).to_contain_text(f"rolled back to {image}:1.0.0")
    wait_for(
        lambda: _image_of(kube, namespace),
        lambda current: current == f"{image}:1.0.0",
        what="the rollback to reach the Deployment",
        timeout=60,
    )


def test_reject_with_a_reason_is_remembered(
    page: Page, api: httpx.Client, kube: Kube, namespace: str, image: str
) -> None:
    _deploy(kube, namespace, image)
    _watched(api, namespace)
    request = _propose(api, namespace, "1.1.0")
    _wait_phase(api, namespace, request, "Pending")

    _filter_to(page, namespace, request)
    row = page.locator(f"#row-{request}")
    row.get_by_placeholder("reason").fill("breaks checkout")
    row.get_by_role("button", name="Reject").click()
    expect(page.get_by_test_id("result")).to_contain_text("Rejected by anonymous")

    wait_for(
        lambda: api.get(f"/api/v1/updates/{namespace}/{request}").json(),
        lambda status: not status["running"],
        what="the rejected workflow to close",
    )
    again = _propose(api, namespace, "1.1.0")
    assert _wait_phase(api, namespace, again, "Skipped")["reason"] == "rejected-earlier"

    page.goto(f"/workloads/deployment/{namespace}/web")
    rejected = page.locator("table.candidates tr[data-tag='1.1.0']")
    expect(rejected).to_contain_text("rejected-earlier")
    expect(rejected).to_contain_text("rejected")
    assert _image_of(kube, namespace) == f"{image}:1.0.0"


@pytest.mark.parametrize("path", ["/", "/workloads", "/observability"])
def test_a_phone_needs_no_horizontal_scrolling(
    browser: Browser, dev_env: DevStatus, path: str
) -> None:
    context = browser.new_context(
        base_url=dev_env.api_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        page.goto(path)
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        if path == "/":
            _shot(page, "phone")
    finally:
        context.close()


def test_observability_shows_live_numbers(page: Page) -> None:
    page.goto("/observability")
    expect(page.get_by_test_id("headline")).to_have_count(6)
    _shot(page, "observability")


def test_paginate_over_sixty_updates(
    page: Page, api: httpx.Client, kube: Kube, namespace: str, image: str
) -> None:
    _deploy(kube, namespace, image)
    _watched(api, namespace)
    # Tags need not exist for a proposal; each newer one supersedes the pending one before it.
    requests = [_propose(api, namespace, f"1.0.{patch}") for patch in range(1, 61)]
    wait_for(
        lambda: api.get("/api/v1/updates", params={"namespace": namespace}).json(),
        lambda listed: len(listed) == len(requests),
        what="Temporal visibility to list all 60 updates",
        timeout=120,
        interval=1,
    )

    page.goto(f"/?namespace={namespace}")
    page.get_by_label("Pause auto-refresh").check()
    expect(page.get_by_test_id("page")).to_have_text("Page 1 of 3 · 60 updates")
    expect(page.locator("tbody tr")).to_have_count(25)
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_test_id("page")).to_contain_text("Page 2 of 3")
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_test_id("page")).to_contain_text("Page 3 of 3")
    expect(page.locator("tbody tr")).to_have_count(10)
    seen = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    assert len(set(seen)) == 10
