"""``python -m bot db copy``: a campaign run on SQLite moves to PostgreSQL whole — every row of
every table, the same ids (receipts stay), search working on the copied texts, new ids after
the highest SQLite ever gave — and a copy that cannot be made writes nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.running import RunningMark
from storage.moderation import ProposalFilter
from storage.ports.proposals import NewProposal
from storage.postgres.database import PostgresDatabase
from tests import stored
from tests.drivers.webchat import world
from tests.journey import onboard, propose
from tests.process import ROOT


def db_copy(folder: Path, *arguments: str, url: str = "") -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SOUCHASTIE_")}
    if url:
        environment["SOUCHASTIE_STORAGE_URL"] = url
    return subprocess.run([sys.executable, "-m", "bot", "db", "copy", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=180,
                          env={**environment, "SOUCHASTIE_STORAGE_PATH": str(folder / "souchastie.db")})


async def a_campaign_on_sqlite(folder: Path) -> list[str]:
    """Two residents, two proposals (the second a duplicate of the first), and the latest reply
    deleted, as the confirmation of an erasure is, so the highest outbox id SQLite ever gave is
    above the highest left; the receipts the residents were given."""
    async with world(folder) as w:
        first, second = w.resident(), w.resident()
        await onboard(first)
        await onboard(second)
        receipts = [await propose(first, "Поставить скамейки у пруда и фонарь"),
                    await propose(second, "Скамейки у пруда, пожалуйста")]
        async with w.app.db.transaction() as tx:
            original, duplicate = (await tx.moderation.search(ProposalFilter(), 10))[0][::-1][:2]
            await stored.change(tx, "proposals", {"id": duplicate.id}, duplicate_of=original.id)
            await stored.delete(tx, "outbox", id=max(await stored.values(tx, "outbox", "id")))
    return receipts


def tables_of(folder: Path) -> dict[str, int]:
    sqlite = stored.InFile(folder / "souchastie.db")
    return {table: sqlite.count(table) for table in sqlite.table_names()
            if "_fts" not in table and not table.startswith("sqlite_")}


async def test_a_sqlite_campaign_moves_to_postgresql_whole(postgres_databases: Any, tmp_path: Path) -> None:
    receipts = await a_campaign_on_sqlite(tmp_path)
    before = tables_of(tmp_path)
    url = await postgres_databases.empty()

    done = db_copy(tmp_path, "--to", url)
    assert done.returncode == 0, done.stderr
    assert "Скопировано в postgresql://" in done.stdout and "строк" in done.stdout
    assert url.split("@")[0].split(":")[-1] not in done.stdout  # the password is never printed

    db = await PostgresDatabase.open(url)
    try:
        assert {table: await stored.count(db, table) for table in before} == before
        listed, total = await db.reader.moderation.search(ProposalFilter(search="скамейка пруд"), 10)
        assert total == 2  # the search index was built from the copied texts
        assert sorted(receipts) == sorted(r for r in receipts if any(r.endswith(str(p.id)) for p in listed))
        duplicate = next(p for p in listed if "пожалуйста" in p.text)
        assert await stored.values(db, "proposals", "duplicate_of", id=duplicate.id) == [
            next(p.id for p in listed if p is not duplicate)]
        async with db.transaction() as tx:
            author = (await stored.values(tx, "residents", "id"))[0]
            after = await tx.proposals.create(NewProposal(resident_id=author, channel="webchat",
                                                          source="", category="idea", text="Новое", address=""))
            [reply] = await tx.outbox.add_many([("webchat", "someone", None, "{}", True)])
        assert after == max(p.id for p in listed) + 1
        assert reply == before["outbox"] + 2  # the deleted reply's id is not given again (migration 0013)
    finally:
        await db.close()

    again = db_copy(tmp_path, url=url)  # the URL from the environment, as the README advises
    assert again.returncode == 2 and "только в пустую базу" in again.stderr
    db = await PostgresDatabase.open(url)
    try:
        assert await stored.count(db, "proposals") == 3  # the two copied and the new one, nothing doubled
    finally:
        await db.close()
    await postgres_databases.drop(url)


async def test_nothing_is_copied_while_a_bot_runs_on_the_sqlite_file(postgres_databases: Any, tmp_path: Path) -> None:
    await a_campaign_on_sqlite(tmp_path)
    url = await postgres_databases.empty()
    running = RunningMark(tmp_path / "souchastie.db")
    running.hold()
    try:
        refused = db_copy(tmp_path, "--to", url)
    finally:
        running.release()
    assert refused.returncode == 2 and "остановите его" in refused.stderr
    db = await PostgresDatabase.open(url)
    try:
        assert await stored.count(db, "residents") == 0
    finally:
        await db.close()
    await postgres_databases.drop(url)


def test_without_a_target_the_copy_says_what_to_set(tmp_path: Path) -> None:
    refused = db_copy(tmp_path)
    assert refused.returncode == 2 and "SOUCHASTIE_STORAGE_URL" in refused.stderr
