"""What an operator meets running the bot as a process: the open-files limit it raises, a log at
DEBUG that holds no resident's words, and ``tasks.py run`` stopped by its PID leaving nothing.

The bot is the real ``python -m bot run`` in a subprocess, as in the crash tests.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import aiohttp
import pytest

from tests import postgres, stored
from tests.drivers import ROOT, eventually
from tests.drivers.webchat import WebChatResident
from tests.journey import onboard, propose
from tests.process import BotProcess, free_port

LOW_SOFT_LIMIT = 256


def soft_open_files_limit(pid: int) -> int | None:
    """The soft RLIMIT_NOFILE of a running process as the kernel reports it (None: unlimited)."""
    text = Path(f"/proc/{pid}/limits").read_text()
    soft = re.search(r"^Max open files\s+(\S+)", text, re.MULTILINE).group(1)
    return None if soft == "unlimited" else int(soft)


async def healthy(base: str, process_ended) -> bool:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            assert not process_ended(), "the bot exited at start"
            try:
                async with http.get(base + "/healthz") as response:
                    if response.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the bot did not start")


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads the limits from /proc")
async def test_the_bot_raises_its_open_files_limit_as_far_as_the_system_allows(tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= LOW_SOFT_LIMIT:
        pytest.skip(f"the hard limit ({hard}) leaves nothing to raise")

    def a_low_soft_limit() -> None:  # as many systems start a service: 1,024 or less
        resource.setrlimit(resource.RLIMIT_NOFILE, (LOW_SOFT_LIMIT, hard))

    bot = BotProcess(tmp_path)
    log = open(bot.log, "ab")
    process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(ROOT / "config.yaml"), "run"],
                               cwd=ROOT, env=bot.environment, stdout=log, stderr=log, preexec_fn=a_low_soft_limit)
    log.close()
    try:
        await healthy(bot.base, lambda: process.poll() is not None)
        raised = soft_open_files_limit(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    wanted = 65536  # server.open_files in config.yaml
    assert raised == (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)) > LOW_SOFT_LIMIT
    assert f"с {LOW_SOFT_LIMIT} до {raised}" in bot.log.read_text()


class DebugBot(BotProcess):
    """The bot as staff run it when chasing a problem: ``--log-level DEBUG``."""

    async def start(self) -> None:
        log = open(self.log, "ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(ROOT / "config.yaml"), "--log-level", "DEBUG", "run",
            cwd=str(ROOT), env=self.environment, stdout=log, stderr=log)
        log.close()
        await healthy(self.base, lambda: self.process.returncode is not None)


async def test_a_log_at_debug_level_holds_no_residents_words(tmp_path):
    words = "Скамейки у пруда ZQX-4471 и фонарь у входа"
    bot = DebugBot(tmp_path)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as http:
            resident = WebChatResident(http, bot.base)
            await onboard(resident)
            await propose(resident, text=words, photo=False, point=None)
    finally:
        assert await bot.terminate() == 0
    # the words were stored, so SQL carried them
    assert stored.InFile(tmp_path / "souchastie.db").count("proposals", text=words) == 1
    log = bot.log.read_text(encoding="utf-8")
    assert " DEBUG " in log  # it was a DEBUG run
    assert "ZQX-4471" not in log and "Скамейки" not in log


class JsonLoggingBot(BotProcess):
    """The bot as a log collector wants it: ``logging.format: json`` (from the environment), at DEBUG."""

    async def start(self) -> None:
        log = open(self.log, "ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(ROOT / "config.yaml"), "--log-level", "DEBUG", "run",
            cwd=str(ROOT), env={**self.environment, "SOUCHASTIE_LOGGING_FORMAT": "json"}, stdout=log, stderr=log)
        log.close()
        await healthy(self.base, lambda: self.process.returncode is not None)


async def test_json_logs_are_one_object_a_line_in_readable_russian_and_hold_no_residents_words(tmp_path):
    words = "Скамейки у пруда ZQX-4471 и фонарь у входа"
    bot = JsonLoggingBot(tmp_path)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as http:
            resident = WebChatResident(http, bot.base)
            await onboard(resident)
            await propose(resident, text=words, photo=False, point=None)
    finally:
        assert await bot.terminate() == 0
    assert stored.InFile(tmp_path / "souchastie.db").count("proposals", text=words) == 1
    raw = bot.log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in raw.splitlines() if line.strip()]   # every line is JSON
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert all(line["time"].endswith("+00:00") for line in lines)         # ISO 8601, in UTC
    assert "DEBUG" in {line["level"] for line in lines}                    # it was a DEBUG run
    started = [line for line in lines if line["message"].startswith("«Участие» работает на порту")]
    assert started and started[0]["logger"] == "bot.app"
    assert "«Участие» работает" in raw                                     # written as it reads, not \u-escaped
    assert "ZQX-4471" not in raw and "Скамейки" not in raw


def running_from(folder: Path) -> list[int]:
    """The processes whose command line names ``folder``: what the test started, and nothing else."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if str(folder).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def project_with_a_ready_environment(folder: Path) -> Path:
    """A copy of tasks.py and pyproject.toml whose ``.venv`` is made and stamped as tasks.py
    leaves it after its first run, so that ``tasks.py run`` goes straight to the bot. Its Python
    sees the test's own packages (a .pth file), and PYTHONPATH puts this checkout first."""
    shutil.copy(ROOT / "tasks.py", folder / "tasks.py")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    environment = folder / ".venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(environment)
    packages = environment / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (packages / "the_tests_packages.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n", encoding="utf-8")
    stamp = hashlib.sha256((folder / "pyproject.toml").read_bytes()).hexdigest()
    (environment / ".installed-from").write_text(stamp)
    return folder


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds leftover processes in /proc")
async def test_stopping_tasks_py_by_its_pid_stops_the_bot_and_frees_the_port(tmp_path):
    project = project_with_a_ready_environment(tmp_path)
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SOUCHASTIE_CONFIG": str(ROOT / "config.yaml"),
                   **postgres.bot_environment(tmp_path / "souchastie.db"),
                   "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
                   "SOUCHASTIE_SERVER_HOST": "127.0.0.1", "SOUCHASTIE_SERVER_PORT": str(port)}
    with open(tmp_path / "tasks.log", "wb") as log:
        tasks = subprocess.Popen([sys.executable, str(project / "tasks.py"), "run"], cwd=project,
                                 env=environment, stdout=log, stderr=log)
    try:
        await healthy(f"http://127.0.0.1:{port}", lambda: tasks.poll() is not None)
        os.kill(tasks.pid, signal.SIGTERM)  # as a supervisor stops the service it started
        assert tasks.wait(30) == 0, (tmp_path / "tasks.log").read_text()
        await eventually(lambda: not running_from(project / ".venv"), timeout=30)
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0  # nobody listens on the port
    finally:
        if tasks.poll() is None:
            tasks.kill()
        for orphan in running_from(project / ".venv"):  # only the bot this test started
            os.kill(orphan, signal.SIGKILL)
