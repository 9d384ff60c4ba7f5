"""What polls, surveys, quizzes and contests share: reading a stored definition, and the list
of those open now that each of them shows from the main menu."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import TypeVar

from pydantic import BaseModel

from bot.core.content import text_in, utc
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context
from handlers.keyboards import to_menu
from handlers.times import town_time
from storage.ports.content import ContentKind
from storage.ports.repositories import Repositories

Item = TypeVar("Item", bound=BaseModel)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def when(ctx: Context, moment: datetime) -> str:
    """A poll's, quiz's or contest's date and time as the resident's locale writes them
    (``formats.date_time``), in the town's time zone whatever offset the content file gave."""
    return town_time(ctx, moment)


async def load(db: Repositories, kind: ContentKind, model: type[Item], key: str) -> tuple[int, Item] | None:
    """The stored id and definition of ``key``, or None when there is no such item."""
    found = await db.content.get(kind, key)
    return (found[0], validated(model, found[1])) if found else None


async def open_items(db: Repositories, kind: ContentKind, model: type[Item]) -> list[Item]:
    return [validated(model, d) for d in await db.content.open_at(kind, utc(utc_now()))]


@lru_cache(maxsize=256)
def validated(model: type[Item], definition: str) -> Item:
    """A stored definition read as its model, once per text: a vote reads its poll on every
    press, and validating it was a twentieth of the vote's work. Keyed by the stored text
    itself, so a definition staff change is read anew, whichever process changed it. The
    models are frozen; the one instance is shared, so nothing may change what it holds."""
    return model.model_validate_json(definition)


async def show_open(ctx: Context, kind: ContentKind, model: type[Item], namespace: str) -> None:
    """The open items as buttons ``<namespace>:<key>``; texts ``<kind>.list_prompt`` and ``.none_open``."""
    items = await open_items(ctx.db, kind, model)
    if not items:
        ctx.say(ctx.t(f"{kind.value}.none_open"), [to_menu(ctx)])
        return
    rows = [[Button(label=text_in(item.title, ctx.language), payload=encode(namespace, item.key))] for item in items]
    ctx.say(ctx.t(f"{kind.value}.list_prompt"), [*rows, to_menu(ctx)])
