"""Notices that no event asked for (results, status changes): written to the outbox in the
transaction that decided them, delivered after its commit."""
from __future__ import annotations

from typing import Awaitable, Callable

from bot.core import keyboard_memory
from bot.core.channel import Outgoing
from bot.core.delivery import Delivery
from bot.core.events import ResidentRef
from bot.core.i18n import Texts
from bot.core.layout import Layout
from bot.core.replies import Reply
from storage.ports.repositories import Database, Repositories


class Notices:
    def __init__(self, db: Database, texts: Texts, layout: Layout, delivery: Delivery) -> None:
        self.db = db
        self.texts = texts
        self._layout = layout
        self._delivery = delivery

    async def notify(self, build: Callable[[Repositories], Awaitable[list[tuple[ResidentRef, Reply]]]]) -> int:
        """Run ``build`` in a transaction and write the messages it returns to the outbox in the
        same transaction (so a notice is sent once, with whatever ``build`` recorded); deliver
        them after the commit. For results, status notices and other messages nobody asked for."""
        async with self.db.transaction() as tx:
            messages = [(ref, await self._remember_shown(tx, ref, reply)) for ref, reply in await build(tx)]
            ids = await tx.outbox.add_many(
                [(ref.channel, ref.external_id, None, reply.model_dump_json(), self._delivery.pulls(ref.channel))
                 for ref, reply in messages])
        by_resident: dict[ResidentRef, list[Outgoing]] = {}
        for (ref, reply), outbox_id in zip(messages, ids):
            by_resident.setdefault(ref, []).append(Outgoing(outbox_id, reply))
        for ref, outgoing in by_resident.items():
            self._delivery.deliver(ref, outgoing)
        return len(messages)

    async def _remember_shown(self, tx: Repositories, ref: ResidentRef, reply: Reply) -> Reply:
        """A notice with buttons is laid out like any reply and becomes what the resident was last
        shown: a number typed after it presses its buttons, not those of an older menu."""
        if not any(b.payload for b in reply.all_buttons()):
            return reply
        resident = await tx.residents.find(ref.channel, ref.external_id)
        if resident is None:
            return reply
        language = self.texts.resolve(resident.language or self.texts.default)
        laid, shown = keyboard_memory.lay_out([reply], self._layout.capabilities(ref),
                                              self._layout.page_labels(language),
                                              keyboard_memory.Shown.load(resident.keyboard))
        await tx.residents.set_keyboard(resident.id, shown.dump())
        return laid[0]
