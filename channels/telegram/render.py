"""A fitted reply as the Bot API calls that show it.

Payload and link buttons become an inline keyboard under the message. Inline buttons cannot
ask for the resident's location or phone, so those buttons go into a one-time reply keyboard
(under the input field) on a message of their own, whose text is the buttons' labels: one
Telegram message carries one keyboard, and the prompt keeps its inline buttons.

Text is sent without a parse mode. A ``Reply`` is plain text by contract, so HTML or Markdown
would only add the need to escape every resident's words (a stray ``<`` in a proposal would
make Telegram refuse the message) and gain nothing; the 4,096-character limit that
``bot.core.rendering.fit`` applies is then exactly the limit Telegram counts.
"""
from __future__ import annotations

from typing import Callable

from aiogram.methods import SendDocument, SendMessage, SendPhoto, SendVideo, TelegramMethod
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, KeyboardButton, ReplyKeyboardMarkup

from bot.core.replies import Button, Media, Reply

# Telegram refuses a message without text; this stands in when a reply is only buttons.
BUTTONS_ONLY_TEXT = "👇"
MediaSource = Callable[[Media], "InputFile | str"]


def inline_keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    keyboard = []
    for row in rows:
        buttons = []
        for button in row:
            if button.payload:
                buttons.append(InlineKeyboardButton(text=button.label, callback_data=button.payload))
            elif button.url:
                buttons.append(InlineKeyboardButton(text=button.label, url=button.url))
        if buttons:
            keyboard.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None


def request_keyboard(rows: tuple[tuple[Button, ...], ...]) -> ReplyKeyboardMarkup | None:
    keyboard = []
    for row in rows:
        buttons = [KeyboardButton(text=b.label, request_location=b.request == "location" or None,
                                  request_contact=b.request == "contact" or None)
                   for b in row if b.request]
        if buttons:
            keyboard.append(buttons)
    if not keyboard:
        return None
    return ReplyKeyboardMarkup(keyboard=keyboard, one_time_keyboard=True, resize_keyboard=True)


def request_labels(rows: tuple[tuple[Button, ...], ...]) -> str:
    return "\n".join(b.label for row in rows for b in row if b.request)


def render(reply: Reply, chat_id: int, media_source: MediaSource) -> list[TelegramMethod]:
    """The calls for one reply that ``bot.core.rendering.fit`` already fitted, in sending order."""
    calls: list[TelegramMethod] = [_media(chat_id, item, media_source) for item in reply.media]
    inline = inline_keyboard(reply.buttons)
    requests = request_keyboard(reply.buttons)
    text = reply.text if reply.text.strip() else (BUTTONS_ONLY_TEXT if inline or requests else "")
    if not text:
        return calls
    if inline and requests:
        calls.append(SendMessage(chat_id=chat_id, text=text, reply_markup=inline))
        calls.append(SendMessage(chat_id=chat_id, text=request_labels(reply.buttons), reply_markup=requests))
    else:
        calls.append(SendMessage(chat_id=chat_id, text=text, reply_markup=inline or requests))
    return calls


def _media(chat_id: int, item: Media, media_source: MediaSource) -> TelegramMethod:
    source = media_source(item)
    match item.kind:
        case "photo":
            return SendPhoto(chat_id=chat_id, photo=source)
        case "video":
            return SendVideo(chat_id=chat_id, video=source)
        case _:
            return SendDocument(chat_id=chat_id, document=source)
