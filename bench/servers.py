"""Start the bot and the baseline as separate processes, so the load generator has its own core."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import AsyncIterator

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_healthy(base: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(400):
            if process.returncode is not None:
                raise RuntimeError("server exited at start")
            try:
                async with http.get(base + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise RuntimeError("server did not start")


@asynccontextmanager
async def server(command: list[str], port: int, env: dict[str, str] | None = None) -> AsyncIterator[str]:
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env={**os.environ, **(env or {})},
                                                   stdout=asyncio.subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base, process)
        yield base
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()


def bot_server(data: Path, port: int, **env: str):
    return server([sys.executable, "-m", "bot", "--log-level", "WARNING", "--config", str(ROOT / "config.yaml"),
                   "run"], port, {
        "SOUCHASTIE_STORAGE_PATH": str(data / "bench.db"),
        "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR": str(data / "attachments"),
        "SOUCHASTIE_SERVER_HOST": "127.0.0.1", "SOUCHASTIE_SERVER_PORT": str(port),
        # The benchmark measures throughput: its simulated residents send as fast as they can,
        # far above what one resident or one address may send, so those ceilings are lifted.
        "SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_SESSION": "1000000",
        "SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_ADDRESS": "1000000", **env})


def bare_server(port: int):
    return server([sys.executable, "-m", "bench.bare_server", str(port)], port)
