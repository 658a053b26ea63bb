"""The local environment's building blocks that need no running cluster.

Port overrides, the PKI's trust relations, the kwok stage files, PID files that never let
`down` kill a stranger, and the dependency-ordered start-up (with fake components).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import sys
import threading
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from headwind_dev import kwok, orchestration, pki, processes, settings, waiting
from headwind_dev.components import Component


@pytest.mark.parametrize(
    ("environ", "flags", "expected"),
    [
        ({}, [], settings.Ports()),
        ({"HEADWIND_DEV_PORT_APISERVER": "36443"}, [], settings.Ports(apiserver=36443)),
        (
            {"HEADWIND_DEV_PORT_APISERVER": "36443"},
            ["apiserver=46443", "registry-private=45001"],
            settings.Ports(apiserver=46443, registry_private=45001),
        ),
    ],
    ids=["defaults", "environment", "flags-win-over-environment"],
)
def test_ports_resolve_defaults_environment_then_flags(
    environ: dict[str, str], flags: list[str], expected: settings.Ports
) -> None:
    overrides = settings.parse_port_overrides(flags)
    assert settings.Ports.from_env(environ, overrides) == expected


@pytest.mark.parametrize(
    "flag", ["apiserver", "nosuch=1", "apiserver=http", "apiserver=70000"], ids=str
)
def test_bad_port_override_is_refused(flag: str) -> None:
    with pytest.raises(ValueError, match=r"apiserver|NAME=NUMBER"):
        settings.parse_port_overrides([flag])


def test_settings_survive_a_round_trip_through_env_json(tmp_path: Path) -> None:
    config = settings.DevSettings(
        state_dir=tmp_path,
        ports=settings.Ports(registry=35000),
        bin_dir=tmp_path / "bin",
        extra_notify_urls=("http://127.0.0.1:9/hook",),
        node_count=5,
    )
    assert settings.DevSettings.from_json(config.to_json()) == config


def test_credentials_are_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    first = settings.Credentials.load_or_create(path)

    assert settings.Credentials.load_or_create(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first.registry_webhook_token) >= 24
    assert len(first.webhook_token) >= 24


def test_credentials_of_an_older_state_dir_gain_the_webhook_token(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    old = {"registry_webhook_token": "r" * 32, "private_username": "u", "private_password": "p"}
    path.write_text(json.dumps(old))

    upgraded = settings.Credentials.load_or_create(path)

    assert (upgraded.registry_webhook_token, upgraded.private_password) == ("r" * 32, "p")
    assert len(upgraded.webhook_token) >= 24
    assert settings.Credentials.load_or_create(path) == upgraded


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_pki_issues_certificates_that_chain_to_its_ca(tmp_path: Path) -> None:
    keys = pki.ensure(tmp_path)
    ca = _cert(keys.ca_cert)
    server = _cert(keys.apiserver_cert)
    admin = _cert(keys.client_cert(pki.ADMIN))

    for leaf in (server, admin):
        leaf.verify_directly_issued_by(ca)
        assert leaf.not_valid_after_utc > datetime.datetime.now(datetime.UTC)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address(pki.SERVICE_IP) in names.get_values_for_type(x509.IPAddress)
    assert "kubernetes.default.svc" in names.get_values_for_type(x509.DNSName)
    # RBAC reads the user from CN and the groups from O.
    assert admin.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == pki.ADMIN.user
    assert [a.value for a in admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == [
        "system:masters"
    ]
    assert isinstance(admin.public_key(), ec.EllipticCurvePublicKey)


def test_pki_is_reused_not_regenerated(tmp_path: Path) -> None:
    first = pki.ensure(tmp_path)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    (tmp_path / "scheduler.crt").unlink()

    pki.ensure(tmp_path)

    after = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert after[first.ca_cert.name] == before[first.ca_cert.name]
    assert after["admin.crt"] == before["admin.crt"]
    assert after["scheduler.crt"] != before["scheduler.crt"]


def test_kubeconfig_embeds_the_identity(tmp_path: Path) -> None:
    keys = pki.ensure(tmp_path / "pki")
    path = tmp_path / "kubeconfig"

    pki.write_kubeconfig(path, "https://127.0.0.1:26443", keys, pki.ADMIN)

    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:26443"
    assert config["users"][0]["user"]["client-certificate-data"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_kwok_stages_are_valid_and_uniquely_named() -> None:
    stages = kwok.stage_documents()
    names = [stage["metadata"]["name"] for stage in stages]  # type: ignore[index]

    assert all(stage["kind"] == "Stage" for stage in stages)
    assert len(names) == len(set(names))
    assert {"node-initialize", "node-heartbeat", "pod-ready", "pod-complete", "pod-delete"} <= set(
        names
    )
    assert {"pod-crashloop", "pod-pullfail", "pod-neverready"} <= set(names)


def _sleeper(tmp_path: Path, name: str = "sleeper") -> processes.Started:
    spec = processes.ProcessSpec(
        name=name, argv=(sys.executable, "-c", "import time; time.sleep(60)")
    )
    return processes.start(spec, settings.Layout(tmp_path))


def test_stop_kills_the_recorded_process_and_removes_its_pid_file(tmp_path: Path) -> None:
    layout = settings.Layout(tmp_path)
    started = _sleeper(tmp_path)
    record = processes.read_record(layout, "sleeper")
    assert record is not None
    assert processes.alive(record)

    assert processes.stop(record, layout) is True

    assert started.popen is not None
    assert started.popen.wait(5) is not None
    assert not layout.pid_file("sleeper").exists()


def test_stop_never_signals_a_process_whose_start_time_differs(tmp_path: Path) -> None:
    layout = settings.Layout(tmp_path)
    started = _sleeper(tmp_path)
    record = started.record
    # The PID is recycled: same number, another process (another start time).
    stranger = processes.PidRecord(
        name="sleeper",
        pid=record.pid,
        start_ticks=record.start_ticks + 1,
        argv=record.argv,
        started_at=record.started_at,
    )
    try:
        assert processes.stop(stranger, layout) is False
        assert processes.alive(record)
    finally:
        processes.stop(record, layout)
        assert started.popen is not None
        started.popen.wait(5)


def test_bring_up_respects_dependencies_and_runs_tasks(tmp_path: Path) -> None:
    order: list[str] = []
    lock = threading.Lock()

    def note(name: str) -> None:
        with lock:
            order.append(name)

    components = [
        Component(name="task", depends_on=("base",), prepare=lambda: note("task")),
        Component(name="base", prepare=lambda: note("base")),
    ]
    progress = orchestration.Progress()

    orchestration.bring_up(components, settings.Layout(tmp_path), progress, lambda _: None)

    assert order == ["base", "task"]
    assert set(progress.ready_after) == {"base", "task"}


def test_a_process_that_exits_while_starting_fails_with_its_log(tmp_path: Path) -> None:
    spec = processes.ProcessSpec(
        name="broken", argv=(sys.executable, "-c", "print('cannot bind'); raise SystemExit(3)")
    )

    def never_ready() -> None:
        raise waiting.NotReady("no answer")

    component = Component(name="broken", process=lambda: spec, ready=never_ready, timeout=30)
    progress = orchestration.Progress()

    with pytest.raises(waiting.StartupError, match=r"exited with status 3[\s\S]*cannot bind"):
        orchestration.bring_up([component], settings.Layout(tmp_path), progress, lambda _: None)
    assert "broken" in progress.started


def test_unknown_dependency_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown"):
        orchestration.bring_up(
            [Component(name="a", depends_on=("b",))],
            settings.Layout(tmp_path),
            orchestration.Progress(),
            lambda _: None,
        )


def test_headwind_processes_are_told_only_names_headwind_reads(tmp_path: Path) -> None:
    from headwind_dev import headwind

    from headwind.settings import Settings, env_name

    config = settings.DevSettings(state_dir=tmp_path, ports=settings.Ports())
    told = {name for name in headwind.process_env(config) if name.startswith("HEADWIND_")}
    known = {env_name(field) for field in Settings.model_fields}
    assert told <= known, told - known
    assert {"HEADWIND_WEBHOOK_REGISTRY_TOKEN", "HEADWIND_WEBHOOK_TOKEN"} <= told
