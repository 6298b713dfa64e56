"""A real S3 wire-protocol server for tests: moto's server mode, a subprocess on loopback.

Each ``MotoServer`` is owned by the test that started it, so a test may stop it (storage
down) and start it again on the same port without touching anyone else's. The fault
suite can use it too: ``MotoServer().start()``, ``.stop()``, ``.start()``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from pictor.config import StorageSettings

ACCESS_KEY = "pictor-test-key"
SECRET_KEY = "pictor-test-secret-0123456789"
REGION = "us-east-1"
_MOTO = Path(sys.executable).with_name("moto_server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """``moto_server`` on 127.0.0.1:``port``; its state lives as long as the process."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> MotoServer:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(
            [str(_MOTO), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
        )
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}")
            try:
                httpx.get(f"{self.endpoint}/moto-api/", timeout=1.0)
                return self
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto_server did not start listening") from None
                time.sleep(0.05)  # polling for the port to open, not synchronizing a test

    def stop(self) -> None:
        """Kill the server (state is lost): the storage is down until ``start``."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a paused server dies as well
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: connections are accepted but never answered (state is kept)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def settings(self, bucket: str, prefix: str = "", **overrides: Any) -> StorageSettings:
        url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        values: dict[str, Any] = {
            "url": url,
            "endpoint_url": self.endpoint,
            "region": REGION,
            "addressing_style": "path",
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            **overrides,
        }
        return StorageSettings.model_validate(values)

    def admin(self) -> Any:
        """A plain boto3 client, for looking at the bucket behind the store's back."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}),
        )

    def new_bucket(self) -> str:
        name = f"pictor-{uuid.uuid4().hex[:16]}"
        self.admin().create_bucket(Bucket=name)
        return name
