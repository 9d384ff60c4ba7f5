"""The replies of one delivery as few VK messages as VK allows.

A step of a conversation often says two things — «Спасибо, голос учтён» and the next prompt
with its buttons — and each reply was a ``messages.send`` of its own. Here consecutive messages
(each reply, as the core fitted it, rendered by ``render.render``) are joined into one, texts separated by a blank line,
while:

- the message joined to has no keyboard: a keyboard belongs under the text it answers, and a
  message carries one keyboard, so a group ends with the first message that has one (inline or
  normal) and takes that keyboard — the keyboard of the group's last reply;
- the joined text stays within VK's 4,096 characters (``render.TEXT_LIMIT``).

Media travel with their text: links in it, stored pictures attached to the message (``render``). A reply that has
only buttons (rendered as "…") adds no text to the message it joins.

Every message keeps a ``random_id`` that names what it holds: a message of one part keeps the
part's own (``render.random_id``); a joined one gets one derived from every part in it (outbox
id, part number). The same replies delivered again — a retry, the recovery after a restart,
which hands over the same replies of one event — make the same messages with the same ids, and
VK drops the repeats; a different grouping can never reuse an id for other content, so nothing
is ever dropped as a "repeat" that was not sent.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.core.channel import Fitted
from channels.vk import render
from channels.vk.bulk import random_id as keyed_random_id
from channels.vk.parse import ClientSupport

SEPARATOR = "\n\n"
ONLY_BUTTONS = "…"  # render's text for a reply without text


@dataclass(frozen=True)
class Part:
    outgoing_id: int
    index: int
    message: render.Message


def messages(outgoing: list[Fitted], support: ClientSupport) -> list[render.Message]:
    """The ``messages.send`` calls for ``outgoing``, in order."""
    groups: list[list[Part]] = []
    for reply in outgoing:
        for index, message in enumerate(render.render(reply, support)):
            part = Part(reply.id, index, message)
            if groups and joins(groups[-1], part):
                groups[-1].append(part)
            else:
                groups.append([part])
    return [_message(group) for group in groups]


def joins(group: list[Part], part: Part) -> bool:
    return group[-1].message.keyboard is None and len(_text([*group, part])) <= render.TEXT_LIMIT


def _message(group: list[Part]) -> render.Message:
    if len(group) == 1:
        return group[0].message
    key = "vk-reply:" + ",".join(f"{part.outgoing_id}.{part.index}" for part in group)
    photos = tuple(photo for part in group for photo in part.message.photos)[:render.ATTACHMENTS]
    return render.Message(_text(group), group[-1].message.keyboard, keyed_random_id(key), photos)


def _text(group: list[Part]) -> str:
    texts = [part.message.text for part in group if part.message.text != ONLY_BUTTONS]
    return SEPARATOR.join(texts) or ONLY_BUTTONS
