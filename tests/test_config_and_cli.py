"""Settings from config.yaml and the environment, and the command line an operator uses."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings
from tests import stored
from tests.drivers import ROOT


def test_shipped_config_equals_the_embedded_defaults(monkeypatch):
    monkeypatch.chdir(ROOT)  # without a file, relative defaults are from the current folder
    assert load_settings(ROOT / "config.yaml", {}) == load_settings(None, {})


def test_every_setting_can_be_overridden_from_the_environment():
    settings = load_settings(ROOT / "config.yaml", {
        "SOUCHASTIE_SERVER_PORT": "9090", "SOUCHASTIE_PROPOSALS_MAX_PHOTOS": "2",
        "SOUCHASTIE_WEBCHAT_ENABLED": "false", "SOUCHASTIE_PROJECT_NAME__RU": "Парк Ургуй",
        "SOUCHASTIE_TELEGRAM_TOKEN": "123:abc"})
    assert settings.server.port == 9090 and settings.proposals.max_photos == 2
    assert settings.webchat.enabled is False and settings.project.name["ru"] == "Парк Ургуй"
    assert settings.telegram.token.get_secret_value() == "123:abc"


def test_a_misspelt_variable_or_a_bad_value_is_named_in_the_error():
    with pytest.raises(ConfigError, match="SOUCHASTIE_SERVR_PORT"):
        load_settings(None, {"SOUCHASTIE_SERVR_PORT": "1"})
    with pytest.raises(ConfigError, match="server.port"):
        load_settings(None, {"SOUCHASTIE_SERVER_PORT": "lots"})


def test_a_secret_in_the_config_file_is_refused(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("telegram:\n  token: '123:abc'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="SOUCHASTIE_TELEGRAM_TOKEN"):
        load_settings(config, {})


def test_a_broken_config_file_names_the_file(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("proposals:\n  max_photos: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=str(config)):
        load_settings(config, {})


def run_cli(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "run" in result.stdout and "db" in result.stdout and "--config" in result.stdout


@pytest.mark.sqlite_only("checks the file's journal mode (WAL)")
def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path):
    import os

    env = {**os.environ, "SOUCHASTIE_STORAGE_PATH": str(tmp_path / "x.db")}
    first = run_cli("db", "upgrade", env=env)
    assert first.returncode == 0 and "0001_initial.sql" in first.stdout
    second = run_cli("db", "upgrade", env=env)
    assert second.returncode == 0 and "уже обновлена" in second.stdout
    db = stored.InFile(tmp_path / "x.db")
    assert db.journal_mode() == "wal"
    tables = db.table_names()
    assert {"residents", "inbox", "outbox", "proposals", "proposal_attachments", "subscriptions",
            "deletions"} <= tables


def test_a_configuration_error_stops_the_bot_with_a_message():
    import os

    result = run_cli("run", env={**os.environ, "SOUCHASTIE_SERVER_PORT": "-5"})
    assert result.returncode == 2 and "server.port" in result.stderr
