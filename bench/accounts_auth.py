"""What authentication costs per request: API keys and access tokens, cached or not.

Calls ``pictor.api.deps.authenticate`` in-process on a migrated SQLite runtime (no
workers), and the argon2id hash and verification with the default parameters. The
baseline, measured in the same run, is the SHA-256 of the key alone: what the cached
key path cannot avoid.

    .venv/bin/python bench/accounts_auth.py [--n 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from common import load_average, settings_dict
from pictor.accounts.passwords import Passwords
from pictor.accounts.service import AccountService
from pictor.api.deps import KeyCache, authenticate, build_accounts
from pictor.config import Settings
from pictor.runtime import build_runtime


async def per_call_us(fn: Callable[[], Awaitable[object]], n: int) -> tuple[float, float]:
    """Median and p95 of one call, in microseconds (after 50 warm-up calls)."""
    for _ in range(50):
        await fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


async def main(n: int) -> None:
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(settings_dict(Path(tmp)))
        runtime = build_runtime(settings, run_workers=False)
        await runtime.start()
        try:
            async with runtime.db.session() as session:
                service = AccountService(session)
                user = await service.create_user("bench-auth@example.com")
                _, key = await service.create_key(user.id, "bench")
            accounts = build_accounts(runtime)
            token = accounts.signin.access.issue(user.id, "user")
            cached, uncached = KeyCache(5.0), KeyCache(0.0)

            async def baseline() -> object:
                return hashlib.sha256(key.encode()).hexdigest()

            rows = [
                ("sha256 of the key (baseline)", baseline),
                ("API key, cached", lambda: authenticate(runtime, cached, key, accounts)),
                (
                    "API key, not cached (DB read)",
                    lambda: authenticate(runtime, uncached, key, accounts),
                ),
                ("access token, cached", lambda: authenticate(runtime, cached, token, accounts)),
                (
                    "access token, not cached (JWT + DB read)",
                    lambda: authenticate(runtime, uncached, token, accounts),
                ),
            ]
            for name, fn in rows:
                median, p95 = await per_call_us(fn, n)
                print(f"{name:44s} median {median:8.1f} µs   p95 {p95:8.1f} µs")
        finally:
            await runtime.stop()

    passwords = Passwords()  # the default parameters: 3 passes, 64 MiB, 4 lanes
    stored = await passwords.hash("correct horse battery")
    for name, call in [
        ("argon2id hash (register)", lambda: passwords.hash("correct horse battery")),
        ("argon2id verify (login)", lambda: passwords.verify(stored, "correct horse battery")),
        ("argon2id verify, unknown email (dummy)", lambda: passwords.verify(None, "x" * 12)),
    ]:
        times = []
        for _ in range(7):
            start = time.perf_counter()
            await call()
            times.append((time.perf_counter() - start) * 1e3)
        print(f"{name:44s} median {statistics.median(times):8.1f} ms")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="calls per figure")
    asyncio.run(main(parser.parse_args().n))
