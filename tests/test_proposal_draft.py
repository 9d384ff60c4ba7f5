"""A proposal's last screen, the draft (issue 12): all that will be sent on one screen, where the
category can be changed and photos and the place are added, and whose «✅ Отправить» gives the
receipt, which ends the journey."""
from __future__ import annotations

from pathlib import Path

from tests import stored
from tests.drivers import load_world
from tests.journey import JPEG, all_text, last_buttons, onboard, picture
from tests.screen import resident_ref

IDEA = "Поставить скамейки у пруда и фонарь"


async def at_the_draft(world, text: str = IDEA):
    resident = world.resident(1)
    await onboard(resident)
    await resident.press("menu:propose")
    draft = await resident.send_text(text)
    assert "prop:confirm" in last_buttons(draft), all_text(draft)
    return resident, draft


async def proposals(world) -> list[tuple]:
    return await stored.proposals_with_photos(world.app.db)


def stored_files(world) -> list[Path]:
    return [p for p in Path(world.app.settings.storage.attachments_dir).rglob("*") if p.is_file()]


def buttons(messages) -> list[dict]:
    return [b for m in messages for row in m.buttons for b in row]


async def test_the_first_category_is_taken_and_can_be_changed_on_the_draft(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        resident, draft = await at_the_draft(world)
        assert "Раздел: Идея для парка" in all_text(draft)
        categories = await resident.press("prop:category")
        assert {"cat:idea", "cat:problem", "cat:tree", "cat:lost", "nav:back"} <= set(last_buttons(categories))
        unchanged = await resident.press("nav:back")
        assert "Раздел: Идея для парка" in all_text(unchanged), all_text(unchanged)
        await resident.press("prop:category")
        changed = await resident.press("cat:tree")
        assert "Раздел: Дерево (Я-дендролог)" in all_text(changed) and IDEA in all_text(changed), all_text(changed)
        await resident.press("prop:confirm")
        assert await proposals(world) == [("tree", IDEA, "", 0)]


async def test_back_from_the_draft_rewrites_the_text_and_keeps_the_photo_and_the_place(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        resident, _ = await at_the_draft(world)
        await resident.send_photo(JPEG)
        placed = await resident.send_text("У главного входа")
        assert "Место: У главного входа" in all_text(placed) and "Фото: 1 из 5" in all_text(placed)
        rewrite = await resident.press("nav:back")
        assert "Опишите вашу идею" in all_text(rewrite) and {"nav:back", "nav:cancel"} <= set(last_buttons(rewrite))
        again = await resident.send_text("Поставить три скамейки у пруда")
        assert all(words in all_text(again) for words in ("три скамейки", "Фото: 1 из 5", "У главного входа"))
        await resident.press("prop:confirm")
        assert await proposals(world) == [("idea", "Поставить три скамейки у пруда", "У главного входа", 1)]


async def test_the_photo_button_is_the_web_chats_picker_and_in_a_messenger_says_how_to_attach(tmp_path):
    async with load_world("webchat")(tmp_path / "webchat") as world:
        resident, draft = await at_the_draft(world)
        photo = next(b for b in buttons(draft) if b.get("payload") == "prop:photo")
        assert (photo["label"], photo["request"]) == ("📷 Добавить фото", "photo")  # the page opens its picker
        hint = await resident.press("prop:photo")  # a page that cannot: the press is answered all the same
        assert "📎" in all_text(hint) and "prop:confirm" in last_buttons(hint), all_text(hint)
    async with load_world("telegram")(tmp_path / "telegram") as world:
        resident, draft = await at_the_draft(world)
        photo = next(b for b in buttons(draft) if b.get("payload") == "prop:photo")
        assert "request" not in photo  # an inline button: Telegram opens no picker for a bot
        hint = await resident.press("prop:photo")
        assert "📎" in all_text(hint) and "prop:confirm" in last_buttons(hint), all_text(hint)
        added = await resident.send_photo(JPEG)
        assert "Фото добавлено (1 из 5)" in all_text(added)
        resident_row = await world.app.db.reader.residents.find(*resident_ref(resident))
        assert resident_row.state == "proposal:draft"


async def test_after_the_last_photo_allowed_the_button_goes_and_no_more_photos_are_kept(tmp_path):
    async with load_world("webchat")(tmp_path, SOUCHASTIE_PROPOSALS_MAX_PHOTOS="2") as world:
        resident, _ = await at_the_draft(world)
        first = await resident.send_photo(picture(40, 30))
        assert "prop:photo" in last_buttons(first)
        second = await resident.send_photo(picture(50, 30))
        assert "Фото добавлено (2 из 2)" in all_text(second) and "prop:photo" not in last_buttons(second)
        third = await resident.send_photo(picture(60, 30))
        assert "больше нельзя" in all_text(third) and "prop:confirm" in last_buttons(third), all_text(third)
        assert len(stored_files(world)) == 2  # the photo gate kept no third file
        await resident.press("prop:confirm")
        assert await proposals(world) == [("idea", IDEA, "", 2)]


async def test_a_town_without_photos_is_asked_for_none(tmp_path):
    async with load_world("webchat")(tmp_path, SOUCHASTIE_PROPOSALS_MAX_PHOTOS="0") as world:
        resident, draft = await at_the_draft(world)
        assert "prop:photo" not in last_buttons(draft) and "Фото: без фото" in all_text(draft), all_text(draft)
        refused = await resident.send_photo(JPEG)
        assert "Фото сейчас не нужно" in all_text(refused) and stored_files(world) == []


async def test_the_receipt_ends_the_journey_and_an_old_send_button_sends_nothing_more(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        resident, _ = await at_the_draft(world)
        done = await resident.press("prop:confirm")
        assert len(done) == 1 and "Номер: П-1" in done[0].text, all_text(done)  # no menu pushes it away
        assert done[0].payloads == ["menu:propose", "menu:mine", "nav:menu"]
        again = await resident.press("prop:confirm")  # the draft's button, pressed once more
        assert "прошлого сообщения" in all_text(again)
        assert await proposals(world) == [("idea", IDEA, "", 0)]
        menu = await resident.press("nav:menu")
        assert "menu:subscriptions" in last_buttons(menu), all_text(menu)


async def test_a_resident_left_in_a_step_of_the_earlier_flow_goes_on_from_the_draft(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        resident = world.resident(1)
        await onboard(resident)
        async with world.app.db.transaction() as tx:  # mid-proposal when the bot was upgraded
            row = await tx.residents.get_or_create(*resident_ref(resident))
            row.state, row.state_data = "proposal:review", {"category": "lost", "text": IDEA, "address": "у пруда"}
            await tx.residents.save_states([row])
        draft = await resident.press("prop:confirm")  # the old review's button: the draft is shown first
        assert "Раздел: Что было в парке раньше" in all_text(draft) and "у пруда" in all_text(draft), all_text(draft)
        assert await proposals(world) == []
        await resident.press("prop:confirm")
        assert await proposals(world) == [("lost", IDEA, "у пруда", 0)]


async def test_the_place_buttons_label_sent_as_text_is_no_address(tmp_path):
    """A client that cannot share a place sends the button's label as text (Telegram's desktop)."""
    async with load_world("telegram")(tmp_path) as world:
        resident, _ = await at_the_draft(world)
        answer = await resident.send_text("📍 Указать место")
        assert "словами" in all_text(answer) and "Место: не указано" in all_text(answer), all_text(answer)
        placed = await resident.send_text("У фонтана, ул. Строителей 5")
        assert "Место: У фонтана, ул. Строителей 5" in all_text(placed), all_text(placed)
