"""Gates: a test holds pipeline code (running in a child process) at a known point.

The child connects to the test's loopback server, says where it is and its pid, and
blocks until the test answers. Both sides wait on a socket, never on a timer.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass


def child_wait_at_gate(port: int, tag: str, timeout_s: float = 60.0) -> str:
    """Called in the child: announce ``tag`` and the pid, block until released."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as conn:
        conn.sendall(f"{tag} {os.getpid()}\n".encode())
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = conn.recv(64)
            if not chunk:
                raise ConnectionError("gate closed")
            answer += chunk
    return answer.decode().strip()


@dataclass
class Arrival:
    tag: str
    pid: int
    writer: asyncio.StreamWriter

    async def release(self, answer: str = "go") -> None:
        self.writer.write(f"{answer}\n".encode())
        await self.writer.drain()
        self.writer.close()


class Gate:
    def __init__(self) -> None:
        self.arrivals: asyncio.Queue[Arrival] = asyncio.Queue()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Gate:
        self.server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        while not self.arrivals.empty():
            self.arrivals.get_nowait().writer.close()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode().split()
        await self.arrivals.put(Arrival(line[0], int(line[1]), writer))

    async def arrival(self, timeout_s: float = 30.0) -> Arrival:
        return await asyncio.wait_for(self.arrivals.get(), timeout_s)
