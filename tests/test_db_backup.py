"""``python -m bot db backup``: a whole, checked copy of the database while the bot runs and
writes, named by the town's clock, the old copies rotated, and clear Russian words when it cannot."""
from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from pathlib import Path

import aiohttp
import pytest
import time_machine
from pydantic import SecretStr

from bot.backup import BackupRefused, refuse_postgresql
from bot.cli import main
from bot.config import StorageSettings
from bot.plurals import grouped
from channels.webchat.channel import session_ref
from channels.webchat.parse import message_key
from storage.sqlite_backup import back_up
from tests import stored
from tests.drivers.webchat import API, world as webchat_world
from tests.journey import onboard, propose
from tests.process import BotProcess

IDEAS = ("Поставить скамейки у пруда и фонарь", "Отремонтировать детскую площадку у школы")


async def residents_with_proposals(tmp_path: Path) -> list[str]:
    """Two residents who each sent a proposal, stored in ``tmp_path``'s database before the bot starts."""
    receipts = []
    async with webchat_world(tmp_path) as world:
        for idea in IDEAS:
            resident = world.resident()
            await onboard(resident)
            receipts.append(await propose(resident, idea, photo=False, point=None))
    return receipts


def backup_path(output: str) -> Path:
    found = re.search(r"Резервная копия готова: (.+)", output)
    assert found, output
    return Path(found.group(1).strip())


@pytest.mark.sqlite_only("`db backup` copies a SQLite file (PostgreSQL: pg_dump)")
async def test_a_backup_taken_while_the_bot_writes_is_whole_and_holds_what_was_acknowledged_before(tmp_path):
    receipts = await residents_with_proposals(tmp_path)
    # Small steps with pauses: the copy takes many steps, and the bot writes between them.
    bot = BotProcess(tmp_path, SOUCHASTIE_STORAGE_BACKUP_STEP_PAGES="8", SOUCHASTIE_STORAGE_BACKUP_PAUSE_SECONDS="0.02")
    await bot.start()
    acknowledged: list[tuple[str, str]] = []   # (session, message id) the bot answered 200: stored
    stop = asyncio.Event()

    async def newcomer(http: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            session, message_id = secrets.token_hex(16), uuid.uuid4().hex
            async with http.post(bot.base + API, json={"session": session, "id": message_id, "text": "/start"}) as sent:
                if sent.status == 200:
                    await sent.json()
                    acknowledged.append((session, message_id))

    try:
        async with aiohttp.ClientSession() as http:
            writers = [asyncio.create_task(newcomer(http)) for _ in range(10)]
            while len(acknowledged) < 100:
                await asyncio.sleep(0.01)
            before = list(acknowledged)
            output = await bot.cli("db", "backup")
            during = len(acknowledged) - len(before)
            stop.set()
            await asyncio.gather(*writers)
    finally:
        await bot.terminate()

    assert during > 0, "the bot took no message while the backup ran: the test proved nothing"
    copy = backup_path(output)
    assert copy.parent == tmp_path / "backups"
    assert sorted(path.name for path in copy.parent.iterdir()) == [copy.name], "a partial or -wal file was left"
    in_copy = stored.InFile(copy)
    assert in_copy.integrity() == ["ok"]
    assert in_copy.journal_mode() == "delete"   # one self-contained file
    keys = set(in_copy.values("inbox", "update_id"))
    missing = [message_id for session, message_id in before
               if message_key(session_ref(session), message_id) not in keys]
    assert not missing, f"{len(missing)} of {len(before)} messages stored before the backup are not in it"
    assert sorted(in_copy.values("proposals", "text")) == sorted(IDEAS)
    assert f"в копии: 2 предложения, {grouped(in_copy.count('residents'))} жител" in output
    assert receipts == ["П-1", "П-2"]


@pytest.mark.sqlite_only("`db backup` copies a SQLite file (PostgreSQL: pg_dump)")
def test_a_copy_the_bot_writes_into_at_every_pause_still_finishes_in_one_last_step(tmp_path):
    """SQLite starts a paged copy over after every write by another connection: written to at
    every pause, the copy would never finish; after ``restarts`` new starts it takes the rest at once."""
    source = tmp_path / "souchastie.db"
    asyncio.run(residents_with_proposals(tmp_path))
    database = stored.InFile(source)
    written = []

    def a_write_between_steps(seconds: float) -> None:
        external_id = f"between-{len(written)}"
        database.insert("residents", channel="webchat", external_id=external_id, created_at="2026-12-03T12:00:00")
        written.append(external_id)

    result = back_up(source, tmp_path / "copy.db", step_pages=4, pause_seconds=0, restarts=3, busy_timeout_ms=5000,
                     pause=a_write_between_steps)
    assert (result.restarts, result.finished_in_one_step) == (4, True)
    in_copy = stored.InFile(result.path)
    assert in_copy.integrity() == ["ok"]
    assert set(written) <= set(in_copy.values("residents", "external_id"))   # every write before the last step
    assert result.residents == database.count("residents") and result.proposals == 2


@pytest.mark.sqlite_only("`db backup` copies a SQLite file (PostgreSQL: pg_dump)")
async def test_only_the_newest_backups_are_kept_and_other_files_are_left_alone(tmp_path, monkeypatch, capsys):
    await residents_with_proposals(tmp_path)
    monkeypatch.setenv("SOUCHASTIE_STORAGE_PATH", str(tmp_path / "souchastie.db"))
    monkeypatch.setenv("SOUCHASTIE_STORAGE_BACKUPS_KEEP", "2")
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    (folder / "other-2026-01-01_00-00-00.db").write_text("another database's backup")
    # 21:00 UTC is 06:00 the next morning in Chita (project.time_zone): named by the town's clock.
    for hour in (21, 22, 23):
        with time_machine.travel(f"2026-12-03T{hour}:00:00+00:00", tick=False):
            assert await asyncio.to_thread(main, ["db", "backup"]) == 0
    output = capsys.readouterr().out
    assert sorted(path.name for path in folder.iterdir()) == [
        "notes.txt", "other-2026-01-01_00-00-00.db", "souchastie-2026-12-04_07-00-00.db",
        "souchastie-2026-12-04_08-00-00.db"]
    assert "Удалено старых копий: 1 (храним последних: 2): souchastie-2026-12-04_06-00-00.db" in output


@pytest.mark.sqlite_only("`db backup` copies a SQLite file (PostgreSQL: pg_dump)")
def test_a_missing_database_is_said_in_russian_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOUCHASTIE_STORAGE_PATH", str(tmp_path / "nowhere" / "souchastie.db"))
    assert main(["db", "backup"]) == 1
    error = capsys.readouterr().err
    assert f"Резервная копия не снята: базы данных нет: {tmp_path / 'nowhere' / 'souchastie.db'}" in error
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.sqlite_only("`db backup` copies a SQLite file (PostgreSQL: pg_dump)")
def test_an_existing_file_is_never_overwritten_and_a_failed_backup_deletes_no_old_one(tmp_path, monkeypatch, capsys):
    asyncio.run(residents_with_proposals(tmp_path))
    monkeypatch.setenv("SOUCHASTIE_STORAGE_PATH", str(tmp_path / "souchastie.db"))
    monkeypatch.setenv("SOUCHASTIE_STORAGE_BACKUPS_KEEP", "1")
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"souchastie-2026-12-0{day}_06-00-00.db" for day in (1, 2, 3)]
    for path in old:
        path.write_text("an older copy")
    assert main(["db", "backup", "--to", str(old[-1])]) == 1
    assert "файл уже есть, не перезаписываю" in capsys.readouterr().err
    assert all(path.read_text() == "an older copy" for path in old)


def test_on_postgresql_the_command_points_to_pg_dump_and_never_prints_the_password():
    with pytest.raises(BackupRefused) as refused:
        refuse_postgresql("postgresql://bot:s3cret@db.example:5432/souchastie")
    assert "pg_dump" in str(refused.value) and "s3cret" not in str(refused.value)
    with pytest.raises(BackupRefused):
        refuse_postgresql(SecretStr("postgres://bot:s3cret@db.example/souchastie"))   # a URL kept as a secret
    for sqlite in ("", None, "sqlite:///data/souchastie.db"):
        refuse_postgresql(sqlite)   # SQLite: nothing refused


@pytest.mark.skipif("url" not in StorageSettings.model_fields,
                    reason="storage.url arrives with the PostgreSQL backend (issue 15, point 1)")
def test_a_configured_postgresql_is_refused_with_the_way_to_back_it_up(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOUCHASTIE_STORAGE_URL", "postgresql://bot:s3cret@127.0.0.1:1/souchastie")
    monkeypatch.setenv("SOUCHASTIE_STORAGE_PATH", str(tmp_path / "souchastie.db"))
    assert main(["db", "backup"]) == 2
    error = capsys.readouterr().err
    assert "pg_dump" in error and "s3cret" not in error
