"""A bot that cannot start says why in one line and exits; it never hangs.

Each test runs the real ``python -m bot run`` as staff would and waits for it to end (the
time-out only keeps a hanging bot from hanging the suite). The one line is the last one on
stderr, in Russian, and names the setting or the file to fix; no traceback.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import closing

import pytest

from tests.drivers import ROOT
from tests.process import free_port

HANG = 30  # seconds; a start-up failure takes about as long as the imports


def run_bot(tmp_path, *arguments: str, config: str | None = str(ROOT / "config.yaml"),
            **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SOUCHASTIE_")}
    env.update({"SOUCHASTIE_STORAGE_PATH": str(tmp_path / "souchastie.db"),
                "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
                "SOUCHASTIE_SERVER_HOST": "127.0.0.1", "SOUCHASTIE_SERVER_PORT": str(free_port()),
                **environment})
    command = [sys.executable, "-m", "bot", *(["--config", config] if config else []), *arguments, "run"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG)


def the_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "the bot said nothing"
    return lines[-1]


def test_a_port_in_use_is_named_and_the_bot_exits(tmp_path):
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot(tmp_path, SOUCHASTIE_SERVER_PORT=str(port))
    assert result.returncode == 1
    line = the_line(result)
    assert line.startswith("Бот не запущен:") and f"127.0.0.1:{port}" in line and "server.port" in line
    assert "занят" in line


def test_a_whatsapp_token_without_the_other_settings_is_named_and_the_bot_exits(tmp_path):
    result = run_bot(tmp_path, SOUCHASTIE_WHATSAPP_TOKEN="EAAG-system-user-token")
    assert result.returncode == 2
    line = the_line(result)
    assert line.startswith("Ошибка в настройках:")
    for missing in ("SOUCHASTIE_WHATSAPP_APP_SECRET", "SOUCHASTIE_WHATSAPP_VERIFY_TOKEN",
                    "SOUCHASTIE_WHATSAPP_PHONE_NUMBER_ID"):
        assert missing in line


def test_vk_callback_mode_without_its_secret_is_named_and_the_bot_exits(tmp_path):
    result = run_bot(tmp_path, SOUCHASTIE_VK_TOKEN="vk1.a.community-token", SOUCHASTIE_VK_MODE="callback",
                     SOUCHASTIE_VK_CONFIRMATION_CODE="1a2b3c4d")
    assert result.returncode == 2
    line = the_line(result)
    assert line.startswith("Ошибка в настройках:") and "SOUCHASTIE_VK_CALLBACK_SECRET" in line


def test_every_channel_left_half_configured_is_named_at_once_before_anything_starts(tmp_path):
    result = run_bot(tmp_path, SOUCHASTIE_VK_ENABLED="true", SOUCHASTIE_MAX_ENABLED="true",
                     SOUCHASTIE_OK_ENABLED="true", SOUCHASTIE_TELEGRAM_ENABLED="true",
                     SOUCHASTIE_GATEWAY_ENABLED="true", SOUCHASTIE_WHATSAPP_ENABLED="true")
    assert result.returncode == 2
    line = the_line(result)
    for missing in ("SOUCHASTIE_VK_TOKEN", "SOUCHASTIE_MAX_TOKEN", "SOUCHASTIE_OK_TOKEN",
                    "SOUCHASTIE_TELEGRAM_TOKEN", "SOUCHASTIE_GATEWAY_SECRET", "gateway.outbound_url",
                    "SOUCHASTIE_WHATSAPP_TOKEN", "SOUCHASTIE_WHATSAPP_APP_SECRET"):
        assert missing in line
    assert not (tmp_path / "souchastie.db").exists()  # nothing was started, not even the database


@pytest.mark.parametrize("kind", ["a directory", "not a database"])
def test_a_database_path_that_cannot_be_opened_is_named_and_the_bot_exits(tmp_path, kind):
    path = tmp_path / "data" / "souchastie.db"
    if kind == "a directory":
        path.mkdir(parents=True)
    else:
        path.parent.mkdir()
        path.write_bytes(b"proposals.csv, not SQLite\n" * 200)
    result = run_bot(tmp_path, SOUCHASTIE_STORAGE_PATH=str(path))
    assert result.returncode == 1
    line = the_line(result)
    assert line.startswith("Бот не запущен:") and str(path) in line and "storage.path" in line


def test_a_configuration_file_named_in_the_environment_must_exist(tmp_path):
    result = run_bot(tmp_path, config=None, SOUCHASTIE_CONFIG=str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    line = the_line(result)
    assert line.startswith("Ошибка в настройках:") and str(tmp_path / "nope.yaml") in line


def test_a_configuration_file_named_on_the_command_line_must_exist(tmp_path):
    result = run_bot(tmp_path, config=str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert str(tmp_path / "nope.yaml") in the_line(result)
