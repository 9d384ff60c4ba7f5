"""The resident's whole proposal journey, written once and run on every channel."""
from __future__ import annotations

from tests.drivers import BotMessage, Resident

# The smallest valid JPEG header is enough for the attachment store's check; the rest is data.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(range(256)) * 4


def last_buttons(messages: list[BotMessage]) -> list[str]:
    return [p for m in messages for p in m.payloads]


def all_text(messages: list[BotMessage]) -> str:
    return "\n".join(m.text for m in messages)


async def onboard(resident: Resident, source: str = "") -> list[BotMessage]:
    """/start, consent, Russian: ends at the main menu."""
    greeting = await resident.send_text(f"/start {source}".strip())
    assert "consent:yes" in last_buttons(greeting), all_text(greeting)
    consented = await resident.press("consent:yes")
    assert "lang:ru" in last_buttons(consented)
    menu = await resident.press("lang:ru")
    assert "menu:propose" in last_buttons(menu)
    return menu


async def propose(resident: Resident, text: str = "Поставить скамейки у пруда и фонарь",
                  photo: bool = True, point: tuple[float, float] | None = (50.0958, 118.0317)) -> str:
    """From the main menu to a receipt; returns the receipt number shown to the resident."""
    categories = await resident.press("menu:propose")
    assert "cat:idea" in last_buttons(categories)
    asked_text = await resident.press("cat:idea")
    assert "nav:cancel" in last_buttons(asked_text)
    photos = await resident.send_text(text)
    assert "prop:next" in last_buttons(photos)
    if photo:
        added = await resident.send_photo(JPEG)
        assert "1" in all_text(added)
    place = await resident.press("prop:next")
    assert "prop:skip" in last_buttons(place)
    if point:
        review = await resident.send_location(*point)
    else:
        review = await resident.press("prop:skip")
    assert "prop:confirm" in last_buttons(review), all_text(review)
    assert text in all_text(review)
    done = await resident.press("prop:confirm")
    words = all_text(done).split()
    receipt = next(word.rstrip(".") for word in words if word.startswith("П-"))
    assert "menu:propose" in last_buttons(done)
    return receipt
