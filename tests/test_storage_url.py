"""``storage.url`` chooses the database: empty is the SQLite file, ``postgresql://…`` is
PostgreSQL; the URL holds a password, so it comes from the environment only; a URL of another
engine, or a server that cannot be reached, is told to staff in Russian, without the password."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_settings
from storage.choice import StorageChoice
from storage.open import StorageUnavailable, open_database
from storage.postgres import migrations as postgres_migrations
from tests.drivers import ROOT

PASSWORD = "пароль-Секрет42"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nothing listens there


def cli(*arguments: str, url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SOUCHASTIE_")}
    return subprocess.run([sys.executable, "-m", "bot", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**environment, "SOUCHASTIE_STORAGE_URL": url,
                                            "SOUCHASTIE_STORAGE_PATH": str(folder / "bot.db")})


def test_the_database_is_the_sqlite_file_unless_the_environment_names_a_postgresql_url(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("storage:\n  path: town.db\n", encoding="utf-8")
    embedded = load_settings(config, {}).storage.choice()
    assert (embedded.url, embedded.path) == ("", tmp_path / "town.db")
    url = f"postgresql://bot:{PASSWORD}@db.example:5432/town"
    chosen = load_settings(config, {"SOUCHASTIE_STORAGE_URL": url}).storage.choice()
    assert chosen.url == url
    assert PASSWORD not in repr(chosen) and PASSWORD not in repr(load_settings(config, {"SOUCHASTIE_STORAGE_URL": url}))


def test_a_database_url_written_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"storage:\n  url: postgresql://bot:{PASSWORD}@db/town\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(config, {})
    assert "storage.url — секрет, его задают только в окружении (SOUCHASTIE_STORAGE_URL)" in str(refused.value)


async def test_a_url_of_another_engine_is_refused_in_russian(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable) as refused:
        await open_database(StorageChoice(path=tmp_path / "bot.db", url=f"mysql://bot:{PASSWORD}@db/town"))
    message = str(refused.value)
    assert message.startswith("storage.url (SOUCHASTIE_STORAGE_URL): нужен адрес вида postgresql://")
    assert "«mysql»" in message and PASSWORD not in message
    assert not (tmp_path / "bot.db").exists()  # nor was SQLite opened instead


async def test_a_server_that_cannot_be_reached_is_named_without_its_password(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql://bot:{PASSWORD}@127.0.0.1:{port}/town"
    with pytest.raises(StorageUnavailable) as refused:
        await open_database(StorageChoice(path=tmp_path / "bot.db", url=url, connect_timeout_seconds=3))
    message = str(refused.value)
    assert message.startswith(f"сервер PostgreSQL postgresql://127.0.0.1:{port}/town (storage.url) недоступен: ")
    assert PASSWORD not in message and "bot:" not in message


async def test_the_upgrade_command_migrates_a_new_postgresql_database_once(postgres_databases: Any,
                                                                          tmp_path: Path) -> None:
    url = await postgres_databases.empty()
    first = cli("db", "upgrade", url=url, folder=tmp_path)
    assert first.returncode == 0, first.stderr
    every = ", ".join(name for _, name, _ in postgres_migrations.scripts())
    assert first.stdout.strip() == f"Применены миграции: {every}"
    again = cli("db", "upgrade", url=url, folder=tmp_path)
    assert (again.returncode, again.stdout.strip()) == (0, "База данных уже обновлена")
    assert not (tmp_path / "bot.db").exists()  # the SQLite file was never made
    await postgres_databases.drop(url)


def test_a_command_on_an_unreachable_server_says_so_and_changes_nothing(tmp_path: Path) -> None:
    port = closed_port()
    result = cli("db", "upgrade", url=f"postgresql://bot:{PASSWORD}@127.0.0.1:{port}/town", folder=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"База данных не открылась: сервер PostgreSQL postgresql://127.0.0.1:{port}/town"
                           " (storage.url) недоступен: ")
    assert last.endswith("; ничего не изменено") and PASSWORD not in result.stderr
