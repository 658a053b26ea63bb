"""The API's reads from the apiserver (`KubeCluster`), against a scripted apiserver on loopback.

The real JSON client talks HTTP to a local server that answers, refuses, stalls or is gone,
so each way the apiserver can fail is seen as the API sees it: an absent workload is None, any
other trouble a `ClusterUnavailableError` (503) within the deadline.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from api.backends import ClusterUnavailableError, KubeCluster
from clients.kube.client import Kube
from headwind.models import WorkloadKind, WorkloadRef

WEB_PATH = "/apis/apps/v1/namespaces/team/deployments/web"
WEB = {"metadata": {"name": "web", "namespace": "team"}}

# path → (status, body, seconds to wait before answering)
ANSWERS: dict[str, tuple[int, Any, float]] = {
    "/version": (200, {"gitVersion": "v1.35.0"}, 0),
    WEB_PATH: (200, WEB, 0),
    "/apis/apps/v1/namespaces/locked/deployments/web": (403, {"message": "forbidden"}, 0),
    "/apis/apps/v1/namespaces/broken/deployments/web": (500, {"message": "etcd down"}, 0),
    "/apis/apps/v1/namespaces/slow/deployments/web": (200, WEB, 3),
}


class Apiserver(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body, delay = ANSWERS.get(self.path, (404, {"message": "not found"}, 0))
        time.sleep(delay)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def kubeconfig(tmp_path: Path, port: int) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def apiserver(tmp_path: Path) -> Iterator[Kube]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Apiserver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kube = Kube.connect(str(kubeconfig(tmp_path, server.server_address[1])), retries=False)
    yield kube
    kube.close()
    server.shutdown()
    server.server_close()


@pytest.fixture
def nowhere(tmp_path: Path) -> Iterator[Kube]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kube = Kube.connect(str(kubeconfig(tmp_path, port)), retries=False)
    yield kube
    kube.close()


def deployment(namespace: str, name: str = "web") -> WorkloadRef:
    return WorkloadRef(kind=WorkloadKind.DEPLOYMENT, namespace=namespace, name=name)


async def test_an_existing_workload_is_read(apiserver: Kube) -> None:
    assert await KubeCluster(apiserver).workload(deployment("team")) == WEB


async def test_an_absent_workload_is_none(apiserver: Kube) -> None:
    assert await KubeCluster(apiserver).workload(deployment("team", "ghost")) is None


@pytest.mark.parametrize(
    ("namespace", "phrase"),
    [
        pytest.param("locked", "refused to read", id="403: RBAC refuses"),
        pytest.param("broken", "refused to read", id="500: apiserver error"),
        pytest.param("slow", "did not answer in 0.5s", id="stalls past the deadline"),
    ],
)
async def test_trouble_reading_is_unavailable_within_the_deadline(
    apiserver: Kube, namespace: str, phrase: str
) -> None:
    cluster = KubeCluster(apiserver, timeout=0.5)
    async with asyncio.timeout(2.5):
        with pytest.raises(ClusterUnavailableError, match=phrase):
            await cluster.workload(deployment(namespace))


async def test_an_apiserver_that_is_gone_is_unavailable(nowhere: Kube) -> None:
    with pytest.raises(ClusterUnavailableError, match="did not answer"):
        await KubeCluster(nowhere, timeout=0.5).workload(deployment("team"))
    assert not await KubeCluster(nowhere, timeout=0.5).reachable()


async def test_a_live_apiserver_is_reachable(apiserver: Kube) -> None:
    assert await KubeCluster(apiserver).reachable()
