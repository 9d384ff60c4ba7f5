"""The in-memory index of similar proposals follows the table: a new proposal, a corrected text,
a status change and a deleted row show in the next lookup, in this process or from another
connection (the CLI's)."""
from __future__ import annotations

from storage.database import Database
from storage.proposals import NewProposal
from tests import stored

PUBLIC = ("accepted",)


async def lookup(db: Database, text: str) -> list[int]:
    found = await db.reader.similar.for_resident(text, None, statuses=PUBLIC, limit=3, threshold=0.3)
    return [item.id for item in found]


async def test_the_index_follows_new_changed_and_deleted_proposals(tmp_path):
    db = await Database.open(tmp_path / "similar.db")
    other = await Database.open(tmp_path / "similar.db")  # another process's connection, as the CLI's
    try:
        async with db.transaction() as tx:
            bench = await tx.proposals.create(NewProposal(None, "webchat", None, "idea", "Скамейки у пруда"))
            lamp = await tx.proposals.create(NewProposal(None, "webchat", None, "idea", "Фонари на аллее"))
            for number in (bench, lamp):
                await tx.moderation.set_status(number, "accepted", "mila")
        assert await lookup(db, "Поставить лавочки возле пруда") == [bench]
        assert await lookup(db, "Освещение аллеи вечером") == [lamp]

        async with other.transaction() as tx:
            # as the erasure's redaction does: the text changed, updated_at left as it was
            await stored.change(tx, "proposals", {"id": lamp}, text="Урны вдоль аллеи")
        assert await lookup(db, "Освещение аллеи вечером") == []
        assert await lookup(db, "Поставить мусорки на аллее") == [lamp]

        async with db.transaction() as tx:
            await tx.moderation.set_status(bench, "not_feasible", "mila")
        assert await lookup(db, "Поставить лавочки возле пруда") == []

        async with other.transaction() as tx:
            await stored.delete(tx, "proposals", id=lamp)
        assert await lookup(db, "Поставить мусорки на аллее") == []
        assert len(db.similar.index) == 1
    finally:
        await other.close()
        await db.close()
