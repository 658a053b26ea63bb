"""The wrk driver of the webhook figures: its Lua script, its result line, and a real run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import load


def test_the_result_line_is_read_and_the_rest_ignored() -> None:
    output = (
        "Running 1s test @ http://x\n"
        'HEADWIND-BENCH {"requests": 400, "seconds": 2.0, "non_2xx": 3,'
        ' "socket_errors": 1, "p50_us": 1500, "p90_us": 2500, "p99_us": 9000, "max_us": 12000}\n'
        "Requests/sec: 200\n"
    )
    result = load.parse(output)
    assert result == load.LoadResult(
        requests=400,
        seconds=2.0,
        non_2xx=3,
        socket_errors=1,
        p50_ms=1.5,
        p90_ms=2.5,
        p99_ms=9.0,
        max_ms=12.0,
    )
    assert result.per_second == 200


def test_no_result_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="no result line"):
        load.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        pytest.param([], "{}", id="pattern only"),
        pytest.param(['a/b:1"x'], '{"a/b:1\\"x"}', id="quoted for Lua"),
    ],
)
def test_the_script_lists_the_images_first(images: list[str], expected: str) -> None:
    text = load.script("tok", images, "r/unmatched-%d:1.0.%d", 5)
    assert f"local images = {expected}" in text
    assert 'local filler = "r/unmatched-%d:1.0.%d"' in text
    assert "local limit = 5" in text
    assert 'wrk.headers["Authorization"] = "Bearer tok"' in text


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[dict[str, str]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        ok = self.path == "/webhook/native" and self.headers["Authorization"] == "Bearer tok"
        with self.lock:
            self.bodies.append(body)
        self.send_response(202 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.bodies = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.e2e
def test_wrk_sends_the_listed_images_then_the_pattern_and_stops_at_the_limit(
    server: str,
) -> None:
    result = load.run_wrk(
        server,
        "tok",
        connections=1,
        seconds=10,
        images=["r/a:1", "r/b:2"],
        filler="r/n-%d:%d",
        limit=5,
    )
    images = [body["image"] for body in _Recorder.bodies]
    assert images[:2] == ["r/a:1", "r/b:2"]
    assert images[2:5] == ["r/n-3:3", "r/n-4:4", "r/n-5:5"]
    assert result.requests == 5
    assert result.non_2xx == 0
    assert 0 < result.seconds < 5  # timed to the limit's answer, not wrk's whole duration
