"""Webhook load from `wrk`, so that the figure is the server's and not the sender's.

A Python client sharing two cores with the server it measures tops out long before the server
does. `wrk` (a C load generator, Debian's `wrk` package) sends from one thread over many
keep-alive connections. The request bodies come from a small Lua script written per run: each
request names the next image of a list (the burst) or of a pattern (the intake); the script
times the run itself (from the first request to the last counted answer, on the monotonic
clock through LuaJIT's FFI, since wrk always waits out its `-d` duration), and its `done` hook
prints one JSON line with the counts and latency percentiles, which is all this module reads
of wrk's output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoadResult", "WrkMissingError", "run_wrk"]

_RESULT_MARK = "HEADWIND-BENCH "

_SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct {{ long tv_sec; long tv_nsec; }} headwind_timespec;
int clock_gettime(int clock, headwind_timespec *at);
]]
local function now()
  local at = ffi.new("headwind_timespec")
  ffi.C.clock_gettime(1, at)  -- CLOCK_MONOTONIC
  return tonumber(at.tv_sec) + tonumber(at.tv_nsec) / 1e9
end

local images = {images}
local filler = {filler}
local limit = {limit}
local threads = {{}}

-- Globals, read from the main state by done() through thread:get.
answered, first_at, last_at = 0, 0, 0

setup = function(thread)
  table.insert(threads, thread)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

-- wrk calls request() once, after init, to check what it returns; that request is never
-- sent, so counting starts at -1 and the check gets a filler (n = 0).
sent = -1

request = function()
  sent = sent + 1
  if sent == 1 then first_at = now() end
  local image
  if sent >= 1 and sent <= #images then
    image = images[sent]
  else
    image = string.format(filler, sent % 50, sent)
  end
  return wrk.format(nil, "/webhook/native", nil, '{{"image": "' .. image .. '"}}')
end

response = function(status, headers, body)
  answered = answered + 1
  if limit == 0 or answered <= limit then last_at = now() end
  if limit > 0 and answered >= limit then wrk.thread:stop() end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local thread = threads[1]
  local window = thread:get("last_at") - thread:get("first_at")
  local counted = thread:get("answered")
  if limit > 0 and counted > limit then counted = limit end
  io.write(string.format(
    '{mark}{{"requests": %d, "seconds": %.6f, "non_2xx": %d, "socket_errors": %d,'
    .. ' "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}}\\n',
    counted, window, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


class WrkMissingError(RuntimeError):
    """`wrk` is not installed (scripts/install-system-deps installs it)."""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def script(token: str, images: Sequence[str], filler: str, limit: int) -> str:
    """The Lua script: `images` first (one request each), then `filler` % (n mod 50, n)."""
    listed = "{" + ", ".join(_lua_string(i) for i in images) + "}"
    return _SCRIPT.format(
        images=listed,
        filler=_lua_string(filler),
        limit=limit,
        token=token,
        mark=_RESULT_MARK,
    )


def parse(output: str) -> LoadResult:
    """The result line the script's `done` hook printed."""
    for line in output.splitlines():
        if line.startswith(_RESULT_MARK):
            raw = json.loads(line.removeprefix(_RESULT_MARK))
            return LoadResult(
                requests=int(raw["requests"]),
                seconds=float(raw["seconds"]),
                non_2xx=int(raw["non_2xx"]),
                socket_errors=int(raw["socket_errors"]),
                p50_ms=raw["p50_us"] / 1000,
                p90_ms=raw["p90_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
            )
    raise ValueError(f"wrk printed no result line:\n{output[-2000:]}")


def run_wrk(
    base_url: str,
    token: str,
    *,
    connections: int,
    seconds: float,
    images: Sequence[str] = (),
    filler: str,
    limit: int = 0,
) -> LoadResult:
    """POST native webhooks for `seconds` (or until `limit` answers) from `connections`."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkMissingError("wrk is not installed; run scripts/install-system-deps")
    with tempfile.TemporaryDirectory(prefix="headwind-bench-") as tmp:
        path = Path(tmp) / "webhooks.lua"
        path.write_text(script(token, images, filler, limit))
        done = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(path),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        )
    return parse(done.stdout)
