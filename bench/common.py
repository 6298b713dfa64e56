"""Shared helpers for bench_jobs.py and bench_memory.py.

Also the server of the HTTP benches: :class:`Server` starts a subprocess that runs
pictor under uvicorn exactly as ``pictor serve`` does (one process, in-process workers,
a process pool), plus one bare route ``GET /bench/bare`` returning a small static JSON,
mounted on the same app object so it goes through the same middleware and server.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (str(ROOT / "src"), str(BENCH)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ADMIN_KEY = "psk_bench_" + secrets.token_urlsafe(24)
PLUGIN = "noop_pipeline"  # bench/noop_pipeline.py, importable because bench/ is on sys.path


def settings_dict(data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Embedded-mode settings as ``pictor serve`` would use them, plus the bench plug-in."""
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": str(data_dir),
        "security": {"secret_key": secrets.token_urlsafe(24)},
        "admin": {"api_key": ADMIN_KEY, "email": "bench@example.com"},
        # Jobs are paid for (reserve at submit, charge at the end); never run out mid-bench.
        "credits": {"signup_grant": 1_000_000_000},
        "worker": {"concurrency": 2},
        "plugins": [PLUGIN],
        "log": {"json": True, "level": "INFO"},
    }
    values.update(overrides)
    return values


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


# --- images ---------------------------------------------------------------------------


def png_bytes(width: int, height: int, seed: int = 0, noise: float = 1.0) -> bytes:
    """An RGB PNG: a gradient with ``noise`` (0..1) of random pixels mixed in."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // max(width, 1), yy * 255 // max(height, 1), (xx + yy) % 256], -1)
    rand = rng.integers(0, 256, (height, width, 3))
    pixels = np.where(rng.random((height, width, 1)) < noise, rand, base).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def photo_like(width: int, height: int, seed: int = 0) -> np.ndarray[Any, Any]:
    """A product-like photo (bench/synthetic.py) scaled up to ``width`` x ``height``."""
    import cv2

    from synthetic import generate

    small, _, _ = generate(seed, (width // 4, height // 4), family="gradient")
    big: np.ndarray[Any, Any] = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return big


def jpeg_bytes(
    pixels: np.ndarray[Any, Any], quality: int, grain: float = 0.0, seed: int = 0
) -> bytes:
    """Encode ``pixels`` as JPEG; ``grain`` (std-dev in levels) adds noise so files grow."""
    if grain:
        rng = np.random.default_rng(seed)
        noisy = pixels.astype(np.float32) + rng.normal(0.0, grain, pixels.shape)
        pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality, subsampling=0 if quality > 90 else 2)
    return buf.getvalue()


# --- figures --------------------------------------------------------------------------


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples: Sequence[float]) -> str:
    """p50/p95/p99 of samples given in seconds, printed in milliseconds."""
    return (
        f"p50 {pct(samples, 50) * 1e3:7.2f} ms  p95 {pct(samples, 95) * 1e3:7.2f} ms"
        f"  p99 {pct(samples, 99) * 1e3:7.2f} ms  mean {statistics.fmean(samples) * 1e3:7.2f} ms"
        f"  (n={len(samples)})"
    )


# --- processes and memory -------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid`` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            stack.extend(kids)
    return found


def vm_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (resident high-water mark) of one process, in MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by one process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews wall-clock figures."""
    return Path("/proc/loadavg").read_text().split()[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A pictor server under uvicorn in a fresh subprocess (so its VmHWM is its own)."""

    def __init__(self, settings: dict[str, Any], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        # -c, not a script path: spawned pool workers then re-import no __main__ module.
        code = (
            f"import sys; sys.path[:0] = [{str(ROOT / 'src')!r}, {str(BENCH)!r}];"
            " import common; common.serve_forever(sys.argv[1], int(sys.argv[2]))"
        )
        cmd = [sys.executable, "-c", code, json.dumps(settings), str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=self._log, cwd=ROOT)
        self._wait_ready(60.0)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}; see {self._log.name}"
                )
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # a start-up poll in a bench, not a test synchronisation
        raise TimeoutError(f"server not ready after {timeout_s}s; see {self._log.name}")

    def memory(self) -> dict[str, float]:
        """Server VmRSS/VmHWM and the highest child VmHWM (process-pool workers), in MB."""
        own = vm_status(self.proc.pid)
        kids = [vm_status(pid) for pid in descendants(self.proc.pid)]
        return {
            "rss": own["VmRSS"],
            "hwm": own["VmHWM"],
            "children": len(kids),
            "child_rss_max": max((k["VmRSS"] for k in kids), default=0.0),
            "child_hwm_max": max((k["VmHWM"] for k in kids), default=0.0),
            "child_hwm_sum": sum(k["VmHWM"] for k in kids),
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextmanager
def server(settings: dict[str, Any], log_path: Path) -> Iterator[Server]:
    srv = Server(settings, log_path)
    try:
        yield srv
    finally:
        srv.stop()


def serve_forever(settings_json: str, port: int) -> None:
    """Run pictor like ``pictor serve`` does, with the bare route added (in the child)."""
    import uvicorn

    from pictor.api.app import create_app
    from pictor.config import Settings
    from pictor.observability.logging import configure_logging
    from pictor.runtime import build_runtime

    settings = Settings.model_validate(json.loads(settings_json))
    configure_logging(
        settings.log.level,
        json=settings.log.json_format,
        secrets=[settings.security.secret_key.get_secret_value()],
    )
    app = create_app(runtime=build_runtime(settings))

    @app.get("/bench/bare", include_in_schema=False)
    async def bare() -> dict[str, str]:
        return {"status": "ok", "object": "bench"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, ws="websockets-sansio")


# --- load from a second process -------------------------------------------------------

WRK_POST = """wrk.method = "POST"
wrk.body = '{"kind": "bench_noop", "input": []}'
wrk.headers["Content-Type"] = "application/json"
"""


def wrk(
    url: str, headers: dict[str, str], conns: int, seconds: float, lua: str | None = None
) -> dict[str, float]:
    """Requests/s and mean latency from ``wrk`` (one thread: the server has the other core)."""
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    script = None
    if lua is not None:
        script = Path(f"/tmp/pictor-bench-{os.getpid()}.lua")
        script.write_text(lua)
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if script is not None:
        script.unlink()
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, float]:
    units = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    result: dict[str, float] = {"non2xx": 0.0}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif "requests in" in line:
            result["requests"] = float(parts[0])
        elif line.startswith("  Non-2xx"):
            result["non2xx"] = float(parts[-1])
        elif parts[:1] in (["50%"], ["99%"]):
            value = parts[1]
            unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
            result[f"p{parts[0][:-1]}"] = float(value[: -len(unit)]) * units[unit]
    return result
