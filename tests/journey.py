"""The resident's whole proposal journey, written once and run on every channel."""
from __future__ import annotations

import io

from PIL import Image

from tests.drivers import BotMessage, Resident


def picture(width: int = 64, height: int = 48, image_format: str = "JPEG", **options) -> bytes:
    """A real picture (the attachment store decodes every photo): a gradient with a red corner,
    so that a stored copy can be recognised after it was re-encoded."""
    image = Image.new("RGB", (width, height), (40, 140, 60))
    for x in range(width):
        image.putpixel((x, height // 2), (x * 255 // width, 80, 200))
    image.paste((230, 20, 20), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def same_picture(stored: bytes, sent: bytes) -> bool:
    """The stored file shows the picture sent: the same size and the red corner where it was."""
    with Image.open(io.BytesIO(stored)) as mine, Image.open(io.BytesIO(sent)) as theirs:
        red, green, blue = mine.convert("RGB").getpixel((1, 1))[:3]
        return mine.size == theirs.size and red > 180 and green < 80 and blue < 80


JPEG = picture()


def last_buttons(messages: list[BotMessage]) -> list[str]:
    return [p for m in messages for p in m.payloads]


def all_text(messages: list[BotMessage]) -> str:
    return "\n".join(m.text for m in messages)


async def consent(resident: Resident) -> list[BotMessage]:
    """«Согласен(на)», and Russian where the bot then asks for a language (only when the
    resident's platform reports none we speak); returns what the bot shows next."""
    shown = await resident.press("consent:yes")
    if "lang:ru" in last_buttons(shown):
        shown = await resident.press("lang:ru")
    return shown


async def onboard(resident: Resident, source: str = "") -> list[BotMessage]:
    """/start and consent (and the language, where asked): ends at the main menu."""
    greeting = await resident.send_text(f"/start {source}".strip())
    assert "consent:yes" in last_buttons(greeting), all_text(greeting)
    menu = await consent(resident)
    assert "menu:propose" in last_buttons(menu), all_text(menu)
    return menu


async def propose(resident: Resident, text: str = "Поставить скамейки у пруда и фонарь",
                  photo: bool = True, point: tuple[float, float] | None = (50.0958, 118.0317)) -> str:
    """From the main menu to a receipt: the text, then on the draft a photo and the place if
    given, and «Отправить»; returns the receipt number shown to the resident."""
    asked_text = await resident.press("menu:propose")
    assert "nav:cancel" in last_buttons(asked_text), all_text(asked_text)
    draft = await resident.send_text(text)
    assert "prop:confirm" in last_buttons(draft) and text in all_text(draft), all_text(draft)
    if photo:
        added = await resident.send_photo(JPEG)
        assert "1 из" in all_text(added) and "prop:confirm" in last_buttons(added), all_text(added)
    if point:
        draft = await resident.send_location(*point)
        assert "prop:confirm" in last_buttons(draft) and text in all_text(draft), all_text(draft)
    done = await resident.press("prop:confirm")
    words = all_text(done).split()
    receipt = next(word.rstrip(".") for word in words if word.startswith("П-"))
    assert "menu:propose" in last_buttons(done)
    return receipt


async def send_contest_work(resident: Resident, text: str, contest: str = "drawings", category: str = "drawing",
                            age: str = "age_10_13") -> list[BotMessage]:
    """From the main menu, a contest work with a photo and ``text``; the bot's answer to the text."""
    for payload in ("menu:contests", f"contest:{contest}", f"cpage:{contest}:enter", f"ccat:{contest}:{category}",
                    f"cage:{contest}:{age}"):
        await resident.press(payload)
    await resident.send_photo(JPEG)
    return await resident.send_text(text)
