"""`headwind dev status --json` keeps the keys scripts and tests rely on (issue 3's interface)."""

from __future__ import annotations

import json
import subprocess

import pytest
from headwind_dev.status import DevStatus

from tests.e2e.conftest import headwind_cli

pytestmark = pytest.mark.e2e

PROMISED_KEYS = (
    "kubeconfig",
    "temporal_address",
    "temporal_namespace",
    "temporal_ui_url",
    "registry",
    "registry_private",
    "helm_repo_url",
    "api_url",
    "state_dir",
)


def test_status_json_has_the_promised_keys_and_everything_runs(dev_env: DevStatus) -> None:
    result = subprocess.run(
        [*headwind_cli(), "dev", "status", "--json", "--state-dir", dev_env.state_dir],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    status = json.loads(result.stdout)

    assert [key for key in PROMISED_KEYS if not status.get(key)] == []
    assert [name for name, process in status["processes"].items() if not process["running"]] == []
    assert result.returncode == 0
