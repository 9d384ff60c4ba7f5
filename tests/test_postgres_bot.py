"""The bot runs on PostgreSQL: started with ``storage.url`` set, a web-chat resident consents and
sends a proposal with a photo and a place, gets a receipt number, and staff find it by another
form of its words; a server that cannot be reached stops the start with a Russian reason.

The first end-to-end check on PostgreSQL; the rest of the end-to-end suite runs on SQLite (what
switching it over needs is in the PostgreSQL backend's notes, storage/postgres/__init__.py)."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application, StartupError
from storage.moderation import ProposalFilter
from storage.postgres.database import PostgresDatabase
from tests.drivers import test_settings
from tests.drivers.webchat import world
from tests.journey import onboard, propose


async def test_a_resident_consents_and_sends_a_proposal_on_postgresql(postgres_databases: Any, tmp_path: Path) -> None:
    url = await postgres_databases.empty()
    async with world(tmp_path, SOUCHASTIE_STORAGE_URL=url) as w:
        assert isinstance(w.app.db, PostgresDatabase)
        resident = w.resident()
        await onboard(resident)
        receipt = await propose(resident, "Поставить скамейки у пруда и фонарь")
        listed, total = await w.app.db.reader.moderation.search(ProposalFilter(search="скамейка пруд"), 10)
        assert total == 1 and listed[0].text == "Поставить скамейки у пруда и фонарь"
        assert receipt.endswith(str(listed[0].id))
        card = await w.app.db.reader.moderation.card(listed[0].id)
        assert card is not None and card.channel == "webchat" and len(card.photos) == 1
        assert card.latitude == pytest.approx(50.0958)
        author = await w.app.db.reader.residents.get(card.resident_id) if card.resident_id else None
        assert author is not None and author.has_consent
    assert not (tmp_path / "souchastie.db").exists()  # nothing went to SQLite
    await postgres_databases.drop(url)


async def test_the_bot_does_not_start_when_its_postgresql_server_cannot_be_reached(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    app = Application(test_settings(tmp_path, SOUCHASTIE_STORAGE_URL=f"postgresql://bot:tajna@127.0.0.1:{port}/town",
                                    SOUCHASTIE_STORAGE_CONNECT_TIMEOUT_SECONDS="3"))
    with pytest.raises(StartupError) as refused:
        await app.start()
    assert str(refused.value).startswith(
        f"сервер PostgreSQL postgresql://127.0.0.1:{port}/town (storage.url) недоступен")
    assert "tajna" not in str(refused.value)
