"""The Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler.

Configured like a small real cluster rather than a test double: client-certificate and
service-account authentication, `Node,RBAC` authorization, the default admission plugins (so
the ServiceAccount plugin and controller-manager's token controller interact as in production),
TokenRequest/TokenReview with a real issuer and audience, and a scheduler placing pods on the
kwok nodes. All of it listens on 127.0.0.1 only.
"""

from __future__ import annotations

from headwind_dev import kubectl, pki, processes, settings, waiting
from headwind_dev.components import Component

__all__ = ["SERVICE_ACCOUNT_ISSUER", "components"]

SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
"""Issuer of service-account tokens, and their default audience (as in kubeadm clusters)."""


def _etcd(config: settings.DevSettings) -> processes.ProcessSpec:
    client = f"http://127.0.0.1:{config.ports.etcd}"
    peer = f"http://127.0.0.1:{config.ports.etcd_peer}"
    return processes.ProcessSpec(
        name="etcd",
        argv=(
            str(config.binary("etcd")),
            "--name=headwind-dev",
            f"--data-dir={config.layout.etcd_data}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=headwind-dev={peer}",
            # A disposable local store: skipping fsync makes every write (and so every rollout)
            # several times faster on small disks; a crash can lose it, `down`/`up` cannot.
            "--unsafe-no-fsync",
            "--log-level=warn",
        ),
    )


def _apiserver(config: settings.DevSettings) -> processes.ProcessSpec:
    keys = pki.Pki(config.layout.pki)
    return processes.ProcessSpec(
        name="kube-apiserver",
        argv=(
            str(config.binary("kube-apiserver")),
            f"--etcd-servers=http://127.0.0.1:{config.ports.etcd}",
            "--bind-address=127.0.0.1",
            f"--secure-port={config.ports.apiserver}",
            f"--tls-cert-file={keys.apiserver_cert}",
            f"--tls-private-key-file={keys.apiserver_key}",
            f"--client-ca-file={keys.ca_cert}",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={keys.sa_pub}",
            f"--service-account-signing-key-file={keys.sa_key}",
            f"--api-audiences={SERVICE_ACCOUNT_ISSUER}",
            "--authorization-mode=Node,RBAC",
            f"--requestheader-client-ca-file={keys.ca_cert}",
            f"--requestheader-allowed-names={pki.FRONT_PROXY.user}",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={keys.client_cert(pki.FRONT_PROXY)}",
            f"--proxy-client-key-file={keys.client_key(pki.FRONT_PROXY)}",
            f"--service-cluster-ip-range={pki.SERVICE_CIDR}",
            "--allow-privileged=true",
            # Nothing really runs, so the `kubernetes` Service's endpoint only has to be valid.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            f"--cert-dir={config.layout.kube / 'apiserver'}",
            "--v=1",
        ),
    )


def _kubeconfig_for(config: settings.DevSettings, identity: pki.ClientIdentity) -> str:
    return str(config.layout.kube / f"{identity.file_stem}.kubeconfig")


def _controller_manager(config: settings.DevSettings) -> processes.ProcessSpec:
    keys = pki.Pki(config.layout.pki)
    kubeconfig = _kubeconfig_for(config, pki.CONTROLLER_MANAGER)
    return processes.ProcessSpec(
        name="kube-controller-manager",
        argv=(
            str(config.binary("kube-controller-manager")),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={config.ports.controller_manager}",
            f"--cert-dir={config.layout.kube / 'controller-manager'}",
            f"--service-account-private-key-file={keys.sa_key}",
            f"--root-ca-file={keys.ca_cert}",
            "--use-service-account-credentials=true",
            f"--cluster-signing-cert-file={keys.ca_cert}",
            f"--cluster-signing-key-file={keys.ca_key}",
            f"--service-cluster-ip-range={pki.SERVICE_CIDR}",
            "--leader-elect=false",
            "--v=1",
        ),
    )


def _scheduler(config: settings.DevSettings) -> processes.ProcessSpec:
    kubeconfig = _kubeconfig_for(config, pki.SCHEDULER)
    return processes.ProcessSpec(
        name="kube-scheduler",
        argv=(
            str(config.binary("kube-scheduler")),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={config.ports.scheduler}",
            f"--cert-dir={config.layout.kube / 'scheduler'}",
            "--leader-elect=false",
            "--v=1",
        ),
    )


def _prepare_pki(config: settings.DevSettings) -> None:
    keys = pki.ensure(config.layout.pki)
    server = f"https://127.0.0.1:{config.ports.apiserver}"
    # Rewritten on every `up`: cheap, and right even when the apiserver port changed.
    pki.write_kubeconfig(config.layout.kubeconfig, server, keys, pki.ADMIN)
    for identity in (pki.CONTROLLER_MANAGER, pki.SCHEDULER, pki.KWOK):
        path = config.layout.kube / f"{identity.file_stem}.kubeconfig"
        pki.write_kubeconfig(path, server, keys, identity)


def _apiserver_ready(config: settings.DevSettings) -> None:
    kubectl.get_health(
        f"https://127.0.0.1:{config.ports.apiserver}/readyz", ca=pki.Pki(config.layout.pki).ca_cert
    )


def _controller_manager_ready(config: settings.DevSettings) -> None:
    kubectl.get_health(f"https://127.0.0.1:{config.ports.controller_manager}/healthz")
    # Healthy is not enough: pods can only be created once the service-account controller has
    # made the `default` ServiceAccount (ServiceAccount admission insists on it).
    with kubectl.apiserver_client(config) as client:
        response = client.get("/api/v1/namespaces/default/serviceaccounts/default")
    if response.status_code != 200:
        raise waiting.NotReady("the default ServiceAccount does not exist yet")


def components(config: settings.DevSettings) -> list[Component]:
    ports = config.ports
    return [
        Component(
            name="etcd",
            process=lambda: _etcd(config),
            ready=lambda: kubectl.get_health(f"http://127.0.0.1:{ports.etcd}/health"),
        ),
        Component(
            name="kube-apiserver",
            depends_on=("etcd",),
            prepare=lambda: _prepare_pki(config),
            process=lambda: _apiserver(config),
            ready=lambda: _apiserver_ready(config),
            url=f"https://127.0.0.1:{ports.apiserver}",
        ),
        Component(
            name="kube-controller-manager",
            depends_on=("kube-apiserver",),
            process=lambda: _controller_manager(config),
            ready=lambda: _controller_manager_ready(config),
        ),
        Component(
            name="kube-scheduler",
            depends_on=("kube-apiserver",),
            process=lambda: _scheduler(config),
            ready=lambda: kubectl.get_health(f"https://127.0.0.1:{ports.scheduler}/healthz"),
        ),
    ]
