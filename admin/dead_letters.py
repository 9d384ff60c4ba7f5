"""«Необработанные сообщения»: the dead letters of the inbox, for staff to look at, retry or discard.

A dead letter is a message the bot stored but could not process: its attempts were used up
(inbox.max_attempts), or a platform sent a signed body that could not be read at all. Staff see
the channel, when it came, how often it was tried and why it failed; its text only with the
personal-data right. "Повторить" makes it an ordinary stored message again and tries it at once
(only for messages the bot can read); "Удалить" closes it without processing and erases its text.
Both are in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from pydantic import ValidationError

from admin.app import panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import INBOX, PERSONAL_DATA, can, current_user, require
from admin.titles import CHANNEL_TITLES
from bot.core.events import Event, Kind
from bot.numbers import whole_number
from storage.ports.inbox import DeadLetter

routes = web.RouteTableDef()
PAGE = 50
SHOWN_CHARACTERS = 2000  # of a body that could not be read: enough to see what it was

KIND_TITLES = {Kind.TEXT: "текст", Kind.COMMAND: "команда", Kind.BUTTON: "кнопка", Kind.PHOTOS: "фото",
               Kind.LOCATION: "точка на карте", Kind.CONTACT: "контакт", Kind.UNSUPPORTED: "другое",
               Kind.REACHABILITY: "доступность"}


@dataclass(frozen=True)
class Shown:
    """A dead letter as the page shows it."""

    letter: DeadLetter
    channel: str
    kind: str         # what it was, or why it could not be read
    content: str      # what the resident sent (personal data: shown only with the right)
    retryable: bool   # only an event the bot can read can be processed again


def shown(letter: DeadLetter) -> Shown:
    channel = CHANNEL_TITLES.get(letter.channel, letter.channel)
    try:
        event = Event.model_validate_json(letter.payload or "")
    except ValidationError:
        raw = (letter.payload or "")[:SHOWN_CHARACTERS]
        return Shown(letter, channel, "не удалось прочитать", raw, retryable=False)
    return Shown(letter, channel, KIND_TITLES.get(event.kind, str(event.kind)), _content(event), retryable=True)


def _content(event: Event) -> str:
    sender = f"от {event.display_name or event.ref.external_id}"
    match event.kind:
        case Kind.BUTTON:
            what = event.payload
        case Kind.PHOTOS:
            what = f"{len(event.photos)} фото" + (f", подпись: {event.text}" if event.text else "")
        case Kind.LOCATION:
            what = f"{event.location.latitude}, {event.location.longitude}" if event.location else ""
        case Kind.CONTACT:
            what = event.contact.phone if event.contact else ""
        case _:
            what = event.text
    return f"{what}\n({sender})" if what else f"({sender})"


@routes.get("/dead-letters")
@require(INBOX)
async def dead_letters_page(request: web.Request) -> web.StreamResponse:
    db = panel(request).db
    before_id = whole_number(request.query.get("before", ""))
    letters = await db.reader.inbox.dead_letters(PAGE, before_id)
    older = letters[-1].id if len(letters) == PAGE else None
    return render(request, "dead_letters.html", letters=[shown(letter) for letter in letters], older=older,
                  total=await db.reader.inbox.count_dead_letters(),
                  personal=can(current_user(request), PERSONAL_DATA))


@routes.post("/dead-letters/{inbox_id:[0-9]+}/retry")
@require(INBOX)
async def retry(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    letter = await _letter(request)
    if not shown(letter).retryable:
        return render(request, "error.html", status=400, back="/admin/dead-letters",
                      message="Это сообщение бот не может прочитать, поэтому повторить его нельзя; "
                              "его можно только удалить.")
    async with p.db.transaction() as tx:
        revived = await tx.inbox.revive(letter.id)
        if revived:
            await record(tx, request, "inbox.retry", str(letter.id), {"channel": letter.channel})
    if revived:
        p.dispatcher.retry_in_background(letter.id)
    raise redirect("/admin/dead-letters", "retried")


@routes.post("/dead-letters/{inbox_id:[0-9]+}/discard")
@require(INBOX)
async def discard(request: web.Request) -> web.StreamResponse:
    letter = await _letter(request)
    async with panel(request).db.transaction() as tx:
        if await tx.inbox.discard(letter.id):
            await record(tx, request, "inbox.discard", str(letter.id), {"channel": letter.channel})
    raise redirect("/admin/dead-letters", "discarded")


async def _letter(request: web.Request) -> DeadLetter:
    letter = await panel(request).db.reader.inbox.dead_letter(path_id(request, "inbox_id"))
    if letter is None:
        raise web.HTTPNotFound(text="Такого необработанного сообщения нет: его уже повторили или удалили.")
    return letter
