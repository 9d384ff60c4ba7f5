"""Every prompt can be answered whatever the content: keyboards too big for a platform come in
pages («Ещё…»), and where buttons are numbered text, typing the number or the label presses
the button, after a restart too. Run with the shipped campaign loaded, as a town runs it."""
from __future__ import annotations

from bot.core.events import ResidentRef
from bot.core.replies import Button, Reply
from tests import stored
from tests.drivers import CAMPAIGN, load_content_into, vk as vk_driver, whatsapp as whatsapp_driver
from tests.drivers.gateway import world as gateway_world
from tests.drivers.webchat import world as webchat_world
from tests.fakes.vk import FakeVk
from tests.journey import all_text, last_buttons, onboard

MENU = {"menu:propose", "menu:polls", "menu:surveys", "menu:quizzes", "menu:contests", "menu:mine",
        "menu:subscriptions", "menu:about", "menu:privacy", "menu:language"}
NO_KEYBOARD = {"button_actions": [], "keyboard": False, "inline_keyboard": False, "carousel": False, "lang_id": 0}
IDEA = "Поставить скамейки у пруда и фонарь"


def number_of(label: str, messages) -> str:
    """The number of the numbered line that shows ``label``."""
    return next(line.split(".")[0] for line in all_text(messages).splitlines() if line.endswith(label))


async def test_whatsapp_shows_the_campaign_menu_in_pages_and_every_item_works(tmp_path):
    async with whatsapp_driver.world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = world.resident(1)
        first = await onboard(resident)
        menu = first[-1]
        assert len(menu.payloads) <= 10 and "kb:1" in menu.payloads, menu
        second = await resident.press("kb:1")
        assert "kb:0" in last_buttons(second)
        assert MENU <= set(menu.payloads) | set(last_buttons(second))
        assert "Что мы храним о вас" in all_text(await resident.press("menu:privacy"))  # from page two: not stale

        back = await resident.send_text("в меню")  # a label typed, case and emoji ignored
        assert "kb:1" in last_buttons(back)
        asked = await resident.send_text("предложить   ИДЕЮ")
        assert "nav:cancel" in last_buttons(asked) and "Опишите" in all_text(asked), all_text(asked)
        # Buttons are shown as buttons here, so a number is text, not a press.
        assert "Слишком коротко" in all_text(await resident.send_text("1"))
        assert "prop:category" in last_buttons(await resident.send_text(IDEA))
        categories = await resident.send_text("другой раздел")
        assert "cat:problem" in last_buttons(categories), all_text(categories)
        draft = await resident.send_text("Проблема, которую надо решить")
        assert "prop:confirm" in last_buttons(draft) and "Раздел: Проблема" in all_text(draft), all_text(draft)


async def test_an_old_page_button_changes_nothing(tmp_path):
    async with whatsapp_driver.world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = world.resident(2)
        await onboard(resident)
        await resident.press("menu:propose")
        stale = await resident.press("kb:1")
        assert "уже не действует" in all_text(stale) and "nav:cancel" in last_buttons(stale)
        assert "уже не действует" in all_text(await resident.press("kb:99"))


async def test_a_vk_client_without_keyboards_answers_by_number_and_label_after_a_restart(tmp_path):
    fake = FakeVk()
    async with vk_driver.world(tmp_path, fake=fake) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = world.resident(3, client_info=NO_KEYBOARD)
        await resident.send_text("/start")
        menu = await resident.press("consent:yes")  # VK reports the language: it is not asked
        assert menu[-1].buttons == [] and "1. 💡 Предложить идею" in menu[-1].text
        asked = await resident.send_text("1")
        assert "Опишите" in all_text(asked) and "1. ✖ Отмена" in all_text(asked), all_text(asked)
        draft = await resident.send_text(IDEA)
        categories = await resident.send_text(number_of("Другой раздел", draft))
        assert "Идея для парка" in all_text(categories), all_text(categories)
        again = await resident.send_text(f"{number_of('Идея для парка', categories)}.")
        assert "Раздел: Идея для парка" in all_text(again) and "Слишком" not in all_text(again), all_text(again)
        await resident.send_text(number_of("Другой раздел", again))
    async with vk_driver.world(tmp_path, fake=fake) as world:
        again = vk_driver.VkResident(world, resident.user_id, NO_KEYBOARD, seen=resident.seen)
        cancelled = await again.send_text("отмена")
        assert "Предложение отменено" in all_text(cancelled), all_text(cancelled)
        async with world.app.db.transaction() as tx:
            proposals = await stored.count(tx, "proposals")
        assert proposals == 0


async def test_a_number_is_text_where_numbers_were_not_shown(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident(4)
        await onboard(resident)
        await resident.press("menu:propose")
        short = await resident.send_text("1")
        assert "Слишком коротко" in all_text(short) and "nav:cancel" in last_buttons(short)
        cancelled = await resident.send_text("✖ ОТМЕНА")
        assert "Предложение отменено" in all_text(cancelled)


async def test_a_number_typed_after_a_notice_presses_the_notices_button_not_the_older_menus(tmp_path):
    async with vk_driver.world(tmp_path) as world:
        resident = world.resident(5, client_info=NO_KEYBOARD)
        await resident.send_text("/start")
        menu = await resident.press("consent:yes")
        assert "1. 💡 Предложить идею" in menu[-1].text
        ref = ResidentRef(channel="vk", external_id=str(resident.user_id))

        async def notice(tx):
            return [(ref, Reply(text="Модератор просит уточнить П-7.",
                                buttons=((Button(label="✏️ Исправить П-7", payload="fix:7"),),)))]
        await world.app.dispatcher.notify(notice)
        shown = await resident.later()
        assert "1. ✏️ Исправить П-7" in all_text(shown)
        answer = await resident.send_text("1")
        assert "cat:idea" not in all_text(answer) and "Идея для парка" not in all_text(answer)
        assert "исправление уже не ждут" in all_text(answer), all_text(answer)


async def test_a_gateway_that_shows_the_numbered_fallback_text_can_send_the_number_as_text(tmp_path):
    async with gateway_world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = world.resident(6)
        await onboard(resident)
        asked = await resident.send_text("1")  # "1. 💡 Предложить идею" of the fallback text
        assert "nav:cancel" in last_buttons(asked) and "Опишите вашу идею" in all_text(asked), all_text(asked)
        draft = await resident.send_text(IDEA)  # the fallback text numbers the buttons in their order
        categories = await resident.send_text(str(last_buttons(draft).index("prop:category") + 1))
        assert "cat:idea" in last_buttons(categories), all_text(categories)
