"""Ad localization: 15 languages against a fake Gemini answering each request after 1 s.

Run: ``.venv/bin/python bench/bench_localize.py [--runs N] [--delay 1.0] [--photo]
[--fake-in-process]``

A real pictor runtime (SQLite, in-process workers, the 2-process CPU pool) talks on
loopback to the fake Gemini API (tests/localize's, speaking the real wire protocol through
google-genai), which runs under uvicorn in a process of its own, as a real Gemini is
another machine: its answer is JSON-encoded once at start, so per request it only waits
and sends bytes. ``--fake-in-process`` serves the fake in pictor's own event loop instead
(how this bench ran before; its encoding then competes with pictor for the loop).
Each run submits a ``localize`` job for 15 languages with ``Prefer: wait`` and measures:

- **job wall time**: POST /v1/jobs → the job's final answer (goal: ≤ 1.5 s).
- **sum of per-language times**: the ``processing_s`` of each language (request + checks
  + watermark scan + thumbnail + storing): what running them one after another costs.
- **baseline, same run**: a 1-language job (the 1 s answer plus one language's work).

The fake answers a 1024x1024 PNG: flat by default (cheap to decode), or ``--photo``, a
noisy photo-like PNG of about 3 MB, closer to what Gemini returns (each language then
pays one real decode, mark scan and thumbnail, in one trip to the CPU pool).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT / "src"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import Request  # noqa: E402
from fastapi.responses import JSONResponse, Response  # noqa: E402
from PIL import Image  # noqa: E402
from tests.conftest import make_settings, new_user  # noqa: E402
from tests.localize.localize_fakes import LocalizeGemini, solid_png  # noqa: E402

from pictor.api.app import create_app  # noqa: E402
from pictor.localization.catalog import load_catalog  # noqa: E402
from pictor.runtime import build_runtime  # noqa: E402

LANGUAGES = 15


def photo_png(side: int = 1024) -> bytes:
    rng = np.random.default_rng(7)
    ys = np.linspace(0, 255, side, dtype=np.float32)[:, None]
    base = np.stack([ys + 0 * ys.T, np.full((side, side), 120.0), ys.T + 0 * ys], axis=-1)
    noisy = np.clip(base + rng.normal(0, 18, base.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noisy).save(buf, "PNG")
    return buf.getvalue()


async def one_job(client: httpx.AsyncClient, headers: dict[str, str], languages: list[str],
                  upload_id: str) -> tuple[float, float, dict[str, Any]]:  # fmt: skip
    body = {
        "kind": "localize",
        "input": [{"upload_id": upload_id}],
        "params": {"target_languages": languages},
    }
    started = time.perf_counter()
    response = await client.post("/v1/jobs", json=body, headers={**headers, "Prefer": "wait=60"})
    wall = time.perf_counter() - started
    job = response.json()
    if job.get("status") != "succeeded":
        raise SystemExit(f"job did not succeed: {job}")
    summed = sum(entry["processing_s"] for entry in job["result"]["languages"])
    return wall, summed, job


def answer_png(photo: bool) -> bytes:
    return photo_png() if photo else solid_png(1024, 1024, (200, 60, 40))


class PreEncodedGemini(LocalizeGemini):
    """The localization fake with its answer JSON-encoded once: per request it reads the
    target language, waits ``delay_s`` and sends bytes (only the language name is spliced in)."""

    _SLOT = "@@LANGUAGE@@"

    def __init__(self, png: bytes, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.fixed_png = png
        answer = {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": f"Localized for {self._SLOT}."},
                            {"inlineData": {"mimeType": "image/png", "data": self._fixed()}},
                        ],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "modelVersion": "gemini-2.5-flash-image",
        }
        self._head, self._tail = json.dumps(answer).encode().split(self._SLOT.encode())

    async def _generate(self, call: str, request: Request) -> Response:
        body = await request.json()
        if request.headers.get("x-goog-api-key") != self.key:
            error = {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}
            return JSONResponse({"error": error}, 400)
        await asyncio.sleep(self.delay_s)  # the provider's thinking time, not a sync
        language = json.dumps(self.target_of(body))[1:-1].encode()
        return Response(self._head + language + self._tail, media_type="application/json")


def serve_fake(ready: Any, delay: float, photo: bool) -> None:
    """Child process: bind a loopback port, report it, serve the fake until SIGTERM."""
    fake = PreEncodedGemini(answer_png(photo), delay)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # listening before the port is reported: early connects wait in the backlog
    ready.put((sock.getsockname()[1], len(fake.fixed_png or b"")))
    config = uvicorn.Config(fake.app, lifespan="off", log_config=None, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


@contextlib.asynccontextmanager
async def fake_in_process(delay: float, photo: bool) -> AsyncIterator[tuple[str, int]]:
    fake = LocalizeGemini()
    fake.delay_s = delay
    fake.fixed_png = answer_png(photo)
    async with fake.serve():
        yield fake.url, len(fake.fixed_png)


@contextlib.asynccontextmanager
async def fake_process(delay: float, photo: bool) -> AsyncIterator[tuple[str, int]]:
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Queue()
    process = spawn.Process(target=serve_fake, args=(ready, delay, photo), daemon=True)
    process.start()
    try:
        port, size = await asyncio.to_thread(ready.get, timeout=60)
        yield f"http://127.0.0.1:{port}", size
    finally:
        process.terminate()  # uvicorn exits on SIGTERM; kill only if it does not
        await asyncio.to_thread(process.join, 10)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 10)
        ready.close()


async def main(runs: int, delay: float, photo: bool, in_process: bool) -> None:
    languages = [lang for lang in sorted(load_catalog().languages) if lang != "english"]
    languages = languages[:LANGUAGES]
    serve = fake_in_process if in_process else fake_process
    with tempfile.TemporaryDirectory() as data_dir:
        async with serve(delay, photo) as (url, size):
            settings = make_settings(
                Path(data_dir),
                providers={"gemini_api_key": LocalizeGemini.key, "gemini_base_url": url},
                log={"json": False, "level": "WARNING"},
            )
            runtime = build_runtime(settings)
            await runtime.start()
            try:
                await measure(runtime, languages, runs, delay, size, in_process)
            finally:
                await runtime.stop()


async def measure(runtime: Any, languages: list[str], runs: int, delay: float, size: int,
                  in_process: bool) -> None:  # fmt: skip
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", timeout=120
    ) as client:
        user = await new_user(runtime)
        files = {"file": ("ad.png", solid_png(1024, 1024, (230, 230, 230)), "image/png")}
        upload = await client.post("/v1/uploads", files=files, headers=user.headers)
        upload_id = upload.json()["id"]
        await one_job(client, user.headers, languages[:1], upload_id)  # warm: SDK import, pool
        load_before = os.getloadavg()[0]
        walls, sums, singles = [], [], []
        for _ in range(runs):
            singles.append((await one_job(client, user.headers, languages[:1], upload_id))[0])
            wall, summed, job = await one_job(client, user.headers, languages, upload_id)
            walls.append(wall)
            sums.append(summed)
    load = os.getloadavg()[0]
    where = "in pictor's event loop" if in_process else "in its own process"
    print(f"localize: {len(languages)} languages, fake Gemini {where}, answers after {delay:.1f} s")
    print(f"  answer: 1024x1024 PNG of {size / 1e6:.2f} MB; runs: {runs}")
    print(f"  load average (1 min): {load_before:.2f} before the runs, {load:.2f} after")
    print(f"  job wall time (median)        {statistics.median(walls):6.2f} s   goal <= 1.5 s")
    print(f"  sum of per-language times     {statistics.median(sums):6.2f} s")
    print(f"  baseline: 1-language job      {statistics.median(singles):6.2f} s")
    speed_up = statistics.median(sums) / statistics.median(walls)
    print(f"  parallel speed-up             {speed_up:6.1f}x")
    print(f"  all runs (wall): {', '.join(f'{w:.2f}' for w in walls)}")
    print(f"  charge of the last job: {job['result']['charge']} credits, cost {job['cost']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--photo", action="store_true")
    parser.add_argument("--fake-in-process", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.delay, args.photo, args.fake_in_process))
