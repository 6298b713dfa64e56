"""Peak memory of a 12 MP background removal and of uploads of different byte sizes.

Run: ``.venv/bin/python bench/bench_memory.py [--quick]``

Every measurement uses a fresh ``uvicorn`` server subprocess (one process, in-process
workers, a spawn process pool of 2), so each ``VmHWM`` (the kernel's resident-set
high-water mark from /proc/<pid>/status) belongs to that measurement alone. Figures:

- server: VmHWM of the server process; child: the highest VmHWM of its descendants
  (the process-pool worker that ran the CPU stage); sum: server + every descendant,
  a pessimistic bound (the two peaks need not coincide);
- baseline: the same server idle (just started), and "warm" after one 64x64 job
  (modules imported, the pool worker spawned).

Uploads of 4000x2500 JPEGs that differ in bytes (quality and grain), not in pixels,
so the decode for validation costs the same and only file-size effects remain.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

import common

MB = 1024 * 1024
#: (label, JPEG quality, grain std-dev): about 0.15 MB, 1 MB and 10 MB at 4000x2500.
UPLOADS = (("small", 5, 0.0), ("medium", 85, 4.0), ("large", 97, 7.0))


def settings(data_dir: Path) -> dict[str, Any]:
    # 16 MB upload limit so the ~10 MB file is accepted; everything else is the default.
    return common.settings_dict(data_dir, images={"max_bytes": 16_000_000})


def upload(c: httpx.Client, data: bytes, name: str = "photo.jpg") -> str:
    r = c.post("/v1/uploads", files={"file": (name, data, "image/jpeg")})
    if r.status_code != 201:
        raise RuntimeError(f"upload {r.status_code}: {r.text}")
    upload_id: str = r.json()["id"]
    return upload_id


def remove_background(c: httpx.Client, upload_id: str, timeout_s: float = 300.0) -> dict[str, Any]:
    body = {"kind": "remove_background", "input": {"upload_id": upload_id}}
    job: dict[str, Any] = c.post("/v1/jobs", json=body, headers={"Prefer": "wait=60"}).json()
    deadline = time.monotonic() + timeout_s
    while job["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise TimeoutError(job["id"])
        time.sleep(0.2)  # a completion poll in a bench, not a test synchronisation
        job = c.get(f"/v1/jobs/{job['id']}").json()
    if job["status"] != "succeeded":
        raise RuntimeError(f"job {job['status']}: {job.get('error')}")
    return job


def line(label: str, m: dict[str, float]) -> str:
    total = m["hwm"] + m["child_hwm_sum"]
    return (
        f"{label:<30} server RSS {m['rss']:6.0f} HWM {m['hwm']:6.0f} MB | child HWM max"
        f" {m['child_hwm_max']:6.0f} MB ({m['children']:.0f} children) | sum {total:6.0f} MB"
    )


def removal_12mp(tmp: Path, size: tuple[int, int]) -> None:
    w, h = size
    print(f"\n== 2a. remove_background {w}x{h} JPEG through the API (fresh server) ==")
    data = common.jpeg_bytes(common.photo_like(w, h, seed=7), 90)
    tiny = common.jpeg_bytes(common.photo_like(64, 64, seed=1), 90)
    with (
        common.server(settings(tmp / "rb"), tmp / "rb.log") as srv,
        httpx.Client(base_url=srv.url, headers=common.auth(), timeout=120) as c,
    ):
        idle = srv.memory()
        print(line("baseline: idle server", idle))
        remove_background(c, upload(c, tiny))
        print(line("baseline: warm (one 64x64 job)", srv.memory()))
        t0 = time.perf_counter()
        job = remove_background(c, upload(c, data))
        took = time.perf_counter() - t0
        peak = srv.memory()
    print(line(f"after {w}x{h} ({len(data) / MB:.1f} MB)", peak))
    grew = peak["hwm"] - idle["hwm"]
    print(
        f"  server grew {grew:.0f} MB over idle; worker peak {peak['child_hwm_max']:.0f} MB;"
        f" job {took:.1f} s ({job['timings']['run_s']:.1f} s run)   [goal ≤ 600 MB]"
    )


def uploads(tmp: Path, size: tuple[int, int]) -> None:
    w, h = size
    print(f"\n== 2b. POST /v1/uploads, {w}x{h} JPEGs differing in bytes (fresh server each) ==")
    pixels = common.photo_like(w, h, seed=3)
    rows = []
    for label, quality, grain in UPLOADS:
        data = common.jpeg_bytes(pixels, quality, grain, seed=5)
        with (
            common.server(settings(tmp / f"up-{quality}"), tmp / "up.log") as srv,
            httpx.Client(base_url=srv.url, headers=common.auth(), timeout=120) as c,
        ):
            c.get("/v1/me").raise_for_status()  # auth path warm, before the baseline
            idle = srv.memory()
            upload(c, data)
            peak = srv.memory()
        rows.append((label, len(data), idle, peak))
    for label, n, idle, peak in rows:
        print(
            f"{label:<6} {n / MB:6.2f} MB file: server idle HWM {idle['hwm']:5.0f} MB,"
            f" after upload {peak['hwm']:5.0f} MB, growth {peak['hwm'] - idle['hwm']:5.0f} MB"
        )
    small, large = rows[0], rows[-1]
    extra = (large[3]["hwm"] - large[2]["hwm"]) - (small[3]["hwm"] - small[2]["hwm"])
    ratio = extra * MB / (large[1] - small[1])
    print(
        f"  growth({large[0]}) - growth({small[0]}) = {extra:.0f} MB for"
        f" {(large[1] - small[1]) / MB:.1f} MB more bytes ({ratio:.1f} MB per MB of file)"
        "   [goal: no growth with file size]"
    )
    print(f"  decoded RGB of {w}x{h} for comparison: {w * h * 3 / MB:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 12 MP removal (2a)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pictor-bench-mem-") as tmp:
        if not args.quick:
            removal_12mp(Path(tmp), (4000, 3000))
        uploads(Path(tmp), (4000, 2500))


if __name__ == "__main__":
    main()
