"""The Helm chart: it lints, renders what each mode needs, and keeps its promises.

Rendered with the pinned `helm` (scripts/build-tools) for a table of value sets, from the
defaults (evaluation) to production on Temporal Cloud with every option on: containers locked
down, only real `HEADWIND_*` settings, secrets only by reference, the embedded Temporal server
knowing Headwind's search attributes, and the chart's CRDs the same as deploy/crds.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from headwind import search_attributes
from headwind.settings import Settings, env_name
from tests.deploy import rendering
from tests.deploy.rendering import CHART, ROOT, containers, helm, kinds, render

PRODUCTION: dict[str, Any] = {
    "mode": "split",
    "image": {"repository": "registry.example.com/headwind", "tag": "0.1.0"},
    "temporal": {
        "embedded": False,
        "address": "headwind.a1b2c.tmprl.cloud:7233",
        "namespace": "headwind.a1b2c",
        "uiUrl": "https://cloud.temporal.io/namespaces/headwind.a1b2c",
        "tls": {"enabled": True, "caSecret": "temporal-ca", "serverName": "temporal.internal"},
        "apiKey": {"secretName": "temporal-cloud"},
    },
    "auth": {"mode": "proxy"},
    "publicUrl": "https://headwind.example.com",
    "polling": {"insecureRegistries": ["registry.lan:5000"]},
    "webhooks": {"secretName": "headwind-webhooks", "artifactoryRegistry": "{repo_key}.jfrog.io"},
    "notifications": {
        "secretName": "headwind-notifications",
        "slackChannel": "#deploys",
        "slackApprovers": ["U024BE7LH", "S0614TZR7"],
        "webhookUrl": "https://hooks.example.com/headwind",
    },
    "metricsBackend": {
        "kind": "prometheus",
        "url": "http://prometheus-operated.monitoring:9090",
        "username": "headwind",
        "secretName": "headwind-metrics-backend",
    },
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "hosts": [{"host": "headwind.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        "tls": [{"secretName": "headwind-tls", "hosts": ["headwind.example.com"]}],
    },
    "serviceMonitor": {"enabled": True},
    "podDisruptionBudget": {"enabled": True},
    "networkPolicy": {"enabled": True},
    "extraEnv": [{"name": "HEADWIND_POLLING_INTERVAL", "value": "10m"}],
}

MUTUAL_TLS: dict[str, Any] = {
    "temporal": {
        "embedded": False,
        "address": "temporal-frontend.temporal:7233",
        "tls": {"clientCertSecret": "headwind-temporal-client", "caSecret": "temporal-ca"},
    },
}

VALUE_SETS = [
    pytest.param({}, id="defaults: combined, embedded Temporal, cluster-wide"),
    pytest.param({"mode": "split"}, id="split: worker and api replicas"),
    pytest.param({"watchNamespaces": ["team-a", "team-b"]}, id="two watched namespaces"),
    pytest.param(
        {
            "temporal": {"server": {"persistence": {"enabled": True}}},
            "networkPolicy": {"enabled": True},
        },
        id="evaluation with a persistent dev server and network policies",
    ),
    pytest.param(MUTUAL_TLS, id="self-hosted Temporal with mutual TLS"),
    pytest.param(PRODUCTION, id="Temporal Cloud, split, every option on"),
]

SECRET_SETTINGS = {
    env_name(name)
    for name, field in Settings.model_fields.items()
    if "SecretStr" in str(field.annotation)
}


def _headwind_containers(
    objects: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(d, c) for d, c in containers(objects) if c["name"] == "headwind"]


def _env(container: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env") or []}


@pytest.mark.parametrize("values", VALUE_SETS)
def test_lints_cleanly(values: dict[str, Any], tmp_path: Any) -> None:
    helm("lint", "--strict", str(CHART), *rendering.values_args(values, tmp_path))


@pytest.mark.parametrize("values", VALUE_SETS)
def test_every_container_runs_locked_down(values: dict[str, Any]) -> None:
    found = list(containers(render(values)))
    assert found
    for deployment, container in found:
        pod = deployment["spec"]["template"]["spec"]
        where = f"{deployment['metadata']['name']}/{container['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] == 65532, where
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, where
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"]["drop"] == ["ALL"], where
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], where


@pytest.mark.parametrize("values", VALUE_SETS)
def test_sets_only_settings_that_exist(values: dict[str, Any]) -> None:
    known = {env_name(name) for name in Settings.model_fields}
    for deployment, container in _headwind_containers(render(values)):
        unknown = {name for name in _env(container) if name not in known}
        assert not unknown, f"{deployment['metadata']['name']}: not settings: {unknown}"


@pytest.mark.parametrize("values", VALUE_SETS)
def test_secrets_come_only_from_secret_references(values: dict[str, Any]) -> None:
    objects = render(values)
    assert not kinds(objects, "Secret"), "the chart never creates Secrets with values in them"
    for _, container in _headwind_containers(objects):
        for name, item in _env(container).items():
            if name in SECRET_SETTINGS:
                assert "value" not in item, f"{name} is written inline"
                assert item["valueFrom"]["secretKeyRef"]["name"], name


def test_every_secret_setting_can_come_from_a_secret() -> None:
    (_, container), *_ = _headwind_containers(render(PRODUCTION))
    referenced = {
        name
        for name, item in _env(container).items()
        if "secretKeyRef" in item.get("valueFrom", {})
    }
    assert referenced == SECRET_SETTINGS


MODES = [
    pytest.param({}, {"headwind": ["run"]}, id="combined: headwind run"),
    pytest.param(
        {"mode": "split"},
        {"headwind-worker": ["worker"], "headwind-api": ["api"]},
        id="split: headwind worker + headwind api",
    ),
]


@pytest.mark.parametrize(("values", "expected"), MODES)
def test_deployments_run_the_mode_s_commands(
    values: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    commands = {d["metadata"]["name"]: c["args"] for d, c in _headwind_containers(render(values))}
    assert commands == expected


@pytest.mark.parametrize(
    "values", [pytest.param({}, id="combined"), pytest.param({"mode": "split"}, id="split")]
)
def test_the_service_reaches_exactly_the_api_pods(values: dict[str, Any]) -> None:
    objects = render(values)
    (service,) = [s for s in kinds(objects, "Service") if s["metadata"]["name"] == "headwind"]
    selector = service["spec"]["selector"]
    serving = []
    for deployment, container in _headwind_containers(objects):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if selector.items() <= labels.items():
            serving.append(deployment["metadata"]["name"])
            probes = {
                kind: container[f"{kind}Probe"]["httpGet"]["path"]
                for kind in ("startup", "liveness", "readiness")
            }
            assert probes == {"startup": "/livez", "liveness": "/livez", "readiness": "/readyz"}
            assert container["ports"] == [
                {"name": "http", "containerPort": 8080, "protocol": "TCP"}
            ]
            assert _env(container)["HEADWIND_API_HOST"]["value"] == "0.0.0.0"
        else:
            assert "ports" not in container, "a worker listens on nothing the Service needs"
    expected = ["headwind-api"] if values else ["headwind"]
    assert serving == expected


def test_embedded_temporal_registers_headwind_s_search_attributes() -> None:
    objects = render()
    (server,) = [c for d, c in containers(objects) if c["name"] == "temporal"]
    flags = [arg.split("=", 1)[1] for arg in server["args"] if arg.startswith("--search-attribute")]
    assert flags == [f"{a.name}={a.type}" for a in search_attributes.ALL]
    (_, headwind), *_ = _headwind_containers(objects)
    address = _env(headwind)["HEADWIND_TEMPORAL_ADDRESS"]["value"]
    host, port = address.split(":")
    (service,) = [s for s in kinds(objects, "Service") if s["metadata"]["name"] == host]
    assert int(port) in [p["port"] for p in service["spec"]["ports"]]


def test_a_production_install_runs_no_temporal_server() -> None:
    objects = render(PRODUCTION)
    assert [c["name"] for _, c in containers(objects)] == ["headwind", "headwind"]
    for _, container in _headwind_containers(objects):
        env = _env(container)
        assert env["HEADWIND_TEMPORAL_ADDRESS"]["value"] == PRODUCTION["temporal"]["address"]
        assert env["HEADWIND_TEMPORAL_TLS"]["value"] == "true"
        assert env["HEADWIND_TEMPORAL_API_KEY"]["valueFrom"]["secretKeyRef"] == {
            "name": "temporal-cloud",
            "key": "api-key",
        }


def test_mutual_tls_mounts_the_client_certificate_where_the_settings_point() -> None:
    objects = render(MUTUAL_TLS)
    ((deployment, container),) = _headwind_containers(objects)
    env = _env(container)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    secrets = {
        v["name"]: v["secret"]["secretName"]
        for v in deployment["spec"]["template"]["spec"]["volumes"]
        if "secret" in v
    }
    assert env["HEADWIND_TEMPORAL_TLS_CERT"]["value"].startswith(mounts["temporal-client"])
    assert env["HEADWIND_TEMPORAL_TLS_KEY"]["value"].startswith(mounts["temporal-client"])
    assert env["HEADWIND_TEMPORAL_TLS_CA"]["value"] == mounts["temporal-ca"] + "/ca.crt"
    assert secrets == {"temporal-client": "headwind-temporal-client", "temporal-ca": "temporal-ca"}


REFUSED = [
    pytest.param(
        {"temporal": {"embedded": False}},
        "temporal.address is required",
        id="no Temporal at all",
    ),
    pytest.param({"mode": "both"}, "/mode", id="unknown mode"),
    pytest.param({"auth": {"mode": "basic"}}, "/auth/mode", id="unknown auth mode"),
    pytest.param({"watchNamespaces": ["Team_A"]}, "/watchNamespaces/0", id="not a namespace name"),
    pytest.param({"image": {"digest": "latest"}}, "/image/digest", id="not a digest"),
    pytest.param(
        {"notifications": {"slackApprovers": ["@alice"]}},
        "/notifications/slackApprovers/0",
        id="not a Slack user or user-group ID",
    ),
]


@pytest.mark.parametrize(("values", "message"), REFUSED)
def test_refuses_values_it_cannot_install(
    values: dict[str, Any], message: str, tmp_path: Any
) -> None:
    result = helm(
        "template", "headwind", str(CHART), *rendering.values_args(values, tmp_path), check=False
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_watch_namespaces_reach_the_setting() -> None:
    ((_, container),) = _headwind_containers(render({"watchNamespaces": ["team-a", "team-b"]}))
    assert _env(container)["HEADWIND_WATCH_NAMESPACES"]["value"] == "team-a,team-b"


IMAGES = [
    pytest.param({}, "headwind:0.1.0", id="default: the chart's appVersion"),
    pytest.param(
        {"image": {"repository": "registry.example.com/headwind", "tag": "1.2.3"}},
        "registry.example.com/headwind:1.2.3",
        id="repository and tag",
    ),
    pytest.param(
        {"image": {"digest": "sha256:" + "ab" * 32}},
        "headwind:0.1.0@sha256:" + "ab" * 32,
        id="pinned by digest",
    ),
]


@pytest.mark.parametrize(("values", "image"), IMAGES)
def test_image_reference(values: dict[str, Any], image: str) -> None:
    assert {c["image"] for _, c in _headwind_containers(render(values))} == {image}


def test_chart_crds_are_deploy_crds() -> None:
    # A packaged chart cannot follow a symlink, so crds/ holds copies.
    source = {p.name: p.read_bytes() for p in (ROOT / "deploy" / "crds").glob("*.yaml")}
    copies = {p.name: p.read_bytes() for p in (CHART / "crds").glob("*.yaml")}
    assert copies == source


def test_app_version_is_headwind_s_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["appVersion"] == project["version"]


def test_slack_approvers_reach_the_setting_that_accepts_them() -> None:
    (_, container), *_ = _headwind_containers(render(PRODUCTION))
    value = _env(container)["HEADWIND_SLACK_APPROVERS"]["value"]
    assert value == "U024BE7LH,S0614TZR7"
    assert Settings(slack_approvers=value).slack_approvers == ("U024BE7LH", "S0614TZR7")
