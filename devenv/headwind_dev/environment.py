"""The local environment as a whole: `up`, `down` and `status`, behind one small facade.

`up` resolves settings (reusing those of a still-running environment), makes sure the binaries
exist (building Kubernetes on a cold cache), starts every component in dependency order and,
in the foreground, watches them until Ctrl-C. `down` stops exactly what the PID files name,
newest first. `status` reads the state directory without touching anything.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from headwind_dev import (
    binaries,
    crds,
    headwind,
    kube,
    kwok,
    orchestration,
    processes,
    registry,
    services,
    settings,
    temporal,
    waiting,
)
from headwind_dev.components import Component
from headwind_dev.status import DevStatus, ProcessStatus

__all__ = ["all_components", "down", "load_settings", "resolve_settings", "status", "up"]


def all_components(config: settings.DevSettings) -> list[Component]:
    """Every component, in the order `status` lists them."""
    return [
        *temporal.components(config),
        *kube.components(config),
        *kwok.components(config),
        *crds.components(config),
        *registry.components(config),
        *services.components(config),
        *headwind.components(config),
    ]


def load_settings(state_dir: Path) -> settings.DevSettings | None:
    """The settings the last `up` wrote into `state_dir`, if any."""
    path = settings.Layout(state_dir).env_file
    try:
        return settings.DevSettings.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError):
        return None


def _any_running(state_dir: Path) -> bool:
    layout = settings.Layout(state_dir)
    return any(processes.alive(record) for record in processes.records(layout))


def resolve_settings(
    state_dir: Path,
    port_overrides: dict[str, int],
    extra_notify_urls: tuple[str, ...],
    report: Callable[[str], None],
) -> settings.DevSettings:
    """Settings for `up`: the running environment's if one runs, else defaults + overrides."""
    previous = load_settings(state_dir)
    if previous is not None and _any_running(state_dir):
        requested = settings.Ports.from_env(os.environ, port_overrides)
        if requested != previous.ports and (port_overrides or _port_env_set()):
            report(
                "parts of the environment are running already, so their ports are kept; "
                "run `headwind dev down` first to change ports"
            )
        return previous
    return settings.DevSettings(
        state_dir=state_dir,
        ports=settings.Ports.from_env(os.environ, port_overrides),
        extra_notify_urls=extra_notify_urls,
        node_count=int(os.environ.get("HEADWIND_DEV_NODES", "3")),
    )


def _port_env_set() -> bool:
    return any(key.startswith(settings.PORT_ENV_PREFIX) for key in os.environ)


def _write_settings(config: settings.DevSettings) -> None:
    path = config.layout.env_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config.to_json(), indent=2))
    tmp.replace(path)


def up(
    config: settings.DevSettings,
    *,
    detach: bool,
    report: Callable[[str], None],
    on_ready: Callable[[DevStatus], None],
) -> None:
    """Starts the environment and calls `on_ready`; in the foreground, runs until interrupted."""
    began = time.monotonic()
    # Cheap checks first, so a missing Debian package is reported before a long build.
    binaries.registry()
    binaries.htpasswd()
    binaries.temporal()
    report("locating the Kubernetes binaries (scripts/build-k8s; builds them on a cold cache)")
    config = dataclasses.replace(config, bin_dir=binaries.build_k8s())
    layout = config.layout
    for directory in (layout.root, layout.logs, layout.run, layout.kube):
        directory.mkdir(parents=True, exist_ok=True)
    # Created before any thread needs it, so two components never race to create it.
    settings.Credentials.load_or_create(layout.credentials_file)
    _write_settings(config)

    if not _any_running(config.state_dir):
        _check_ports_free(config.ports)
    progress = orchestration.Progress()
    try:
        orchestration.bring_up(all_components(config), layout, progress, report)
    except BaseException:
        report("start-up failed; stopping what this run started")
        for name in reversed(list(progress.started)):
            processes.stop(progress.started[name].record, layout)
        raise
    report(f"environment ready in {time.monotonic() - began:.1f}s")
    on_ready(status(config.state_dir))
    if not detach:
        _run_in_foreground(config, progress, report)


def _check_ports_free(ports: settings.Ports) -> None:
    """Fails before starting anything when a port is taken, naming the override to use."""
    taken = []
    for name, port in ports.as_dict().items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # The same option the servers set, so a port in TIME_WAIT does not count as taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                env = settings.PORT_ENV_PREFIX + name.upper()
                taken.append(f"  {port} ({name}): use --port {name}=N or {env}=N")
    if taken:
        raise waiting.StartupError(
            "ports already in use on 127.0.0.1 (another environment or program):\n"
            + "\n".join(taken)
        )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run_in_foreground(
    config: settings.DevSettings, progress: orchestration.Progress, report: Callable[[str], None]
) -> None:
    """Watches the processes until Ctrl-C or SIGTERM, then stops everything."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    print(
        f"\nRunning in the foreground; Ctrl-C stops everything. Logs: {config.layout.logs}",
        file=sys.stderr,
        flush=True,
    )
    reported: set[str] = set()
    try:
        while True:
            time.sleep(1)
            for record in processes.records(config.layout):
                if record.name not in reported and not processes.alive(record):
                    reported.add(record.name)
                    started = progress.started.get(record.name)
                    code = started.exited() if started else None
                    report(
                        f"{record.name} exited"
                        + (f" with status {code}" if code is not None else "")
                        + f"; see {config.layout.log(record.name)}"
                    )
    except KeyboardInterrupt:
        report("stopping")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        down(config.state_dir, report)


def down(state_dir: Path, report: Callable[[str], None]) -> list[str]:
    """Stops every process with a PID file in `state_dir`, newest first; returns their names."""
    layout = settings.Layout(state_dir)
    stopped = []
    for record in reversed(processes.records(layout)):
        if processes.stop(record, layout):
            report(f"{record.name:<24} stopped (pid {record.pid})")
            stopped.append(record.name)
        else:
            report(f"{record.name:<24} was not running")
    return stopped


def status(state_dir: Path) -> DevStatus:
    """The status of the environment in `state_dir`; raises FileNotFoundError if there is none."""
    config = load_settings(state_dir)
    if config is None:
        raise FileNotFoundError(f"no environment in {state_dir} (run `headwind dev up`)")
    layout = config.layout
    ports = config.ports
    credentials = settings.Credentials.load_or_create(layout.credentials_file)
    process_status: dict[str, ProcessStatus] = {}
    for component in all_components(config):
        if component.process is None:
            continue
        record = processes.read_record(layout, component.name)
        running = record is not None and processes.alive(record)
        process_status[component.name] = ProcessStatus(
            running=running,
            pid=record.pid if record is not None and running else None,
            log=str(layout.log(component.name)),
            url=component.url,
        )
    versions = binaries.k8s_versions(config.bin_dir) if config.bin_dir else {}
    return DevStatus(
        state_dir=str(state_dir),
        running=all(process.running for process in process_status.values()),
        kubeconfig=str(layout.kubeconfig),
        kube_apiserver_url=f"https://127.0.0.1:{ports.apiserver}",
        kubernetes_version=versions.get("kubernetes"),
        nodes=kwok.node_names(config),
        temporal_address=f"127.0.0.1:{ports.temporal}",
        temporal_namespace=temporal.NAMESPACE,
        temporal_ui_url=f"http://127.0.0.1:{ports.temporal_ui}",
        registry=f"127.0.0.1:{ports.registry}",
        registry_private=f"127.0.0.1:{ports.registry_private}",
        registry_private_username=credentials.private_username,
        registry_private_password=credentials.private_password,
        registry_webhook_token=credentials.registry_webhook_token,
        webhook_token=credentials.webhook_token,
        registry_notify_urls=registry.notification_endpoints(config, "registry"),
        recorder_url=f"http://127.0.0.1:{ports.recorder}",
        helm_repo_url=f"http://127.0.0.1:{ports.helm_repo}",
        helm_repo_private_url=f"http://127.0.0.1:{ports.helm_repo_private}",
        helm_repo_username=credentials.private_username,
        helm_repo_password=credentials.private_password,
        helm_repo_dir=str(layout.helm_repo),
        api_url=config.api_url,
        ports=ports.as_dict(),
        processes=process_status,
    )
