"""The bot as a real subprocess (``python -m bot run``), for crash tests that kill it with SIGKILL."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from contextlib import closing
from pathlib import Path

import aiohttp

from tests import postgres
from tests.drivers import ONE_ADDRESS_FOR_ALL, ROOT


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


START_SECONDS = 60

class BotProcess:
    def __init__(self, tmp_path: Path, port: int | None = None, **environment: str) -> None:
        self.port = port or free_port()
        self.environment = {
            **os.environ,
            **postgres.bot_environment(environment.get("SOUCHASTIE_STORAGE_PATH", tmp_path / "souchastie.db")),
            "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
            "SOUCHASTIE_SERVER_HOST": "127.0.0.1",
            "SOUCHASTIE_SERVER_PORT": str(self.port),
            **ONE_ADDRESS_FOR_ALL,
            **environment,
        }
        self.log = tmp_path / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        log = open(self.log, "ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(ROOT / "config.yaml"), "run",
            cwd=str(ROOT), env=self.environment, stdout=log, stderr=log)
        log.close()
        # A minute at most: on a loaded machine the import, the migrations and the channels'
        # start-up calls have taken over 15 s; a bot that starts at all answers well within it.
        deadline = asyncio.get_running_loop().time() + START_SECONDS
        async with aiohttp.ClientSession() as http:
            while asyncio.get_running_loop().time() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"the bot exited at start:\n{self.log.read_text()[-3000:]}")
                try:
                    async with http.get(self.base + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"the bot did not start:\n{self.log.read_text()[-3000:]}")

    async def cli(self, *arguments: str) -> str:
        """``python -m bot …`` beside the running bot, on its database and settings, as staff run
        it; its standard output (the test fails with its error output if it fails)."""
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(ROOT / "config.yaml"), *arguments, cwd=str(ROOT),
            env=self.environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await command.communicate()
        assert command.returncode == 0, err.decode()
        return out.decode()

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a power-less crash of the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self, timeout: float = 15) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)


async def start_cluster(tmp_path: Path, count: int, environment: dict[str, str]) -> list[BotProcess]:
    """``count`` bots on one database, each with its own port and log (``bot<n>/bot.log``)."""
    bots = []
    for number in range(count):
        folder = tmp_path / f"bot{number}"
        folder.mkdir()
        bots.append(BotProcess(folder, **environment))
    await bots[0].start()   # the first one migrates the new database
    await asyncio.gather(*(bot.start() for bot in bots[1:]))
    return bots


async def stop_cluster(bots: list[BotProcess]) -> None:
    for bot in bots:
        if bot.process is not None and bot.process.returncode is None:
            bot.process.kill()
            await bot.process.wait()
