"""Similar proposals for a resident (issue 13, point 6): at «Отправить», public proposals like the
draft are offered to support instead of sending the same idea again; a support is one vote per
resident per proposal; rejected, hidden, unread and one's own proposals are never offered, and a
forged «Поддержать» for them is refused. The shipped campaign is loaded, as a town runs it."""
from __future__ import annotations

import pytest

from storage.proposals import NewProposal
from tests import stored
from tests.drivers import CAMPAIGN, load_content_into, load_world
from tests.journey import all_text, last_buttons, onboard
from tests.screen import Screen

DRAFT = "Поставьте скамейки у пруда, пожилым негде присесть"
PUBLIC = "Поставить лавочки у пруда: пожилым негде присесть"      # the same idea, other words: offered
REJECTED = "Лавочки у пруда поставить, чтобы сидеть"          # the same idea, not feasible: never offered
SPAM = "Скамейки возле пруда нужны, присесть негде"            # hidden as spam: never offered
UNREAD = "Скамейку к пруду, негде присесть пожилым"            # not yet read by a moderator: not offered
OTHER = "Почистить пруд, он весь зарос тиной"                  # shares «пруд», another idea: not offered


async def town(world) -> dict[str, int]:
    """The campaign loaded and proposals of other residents in every status that matters."""
    await load_content_into(world.app, CAMPAIGN)
    ids = {}
    async with world.app.db.transaction() as tx:
        for name, text, status in (("public", PUBLIC, "accepted"), ("rejected", REJECTED, "not_feasible"),
                                   ("spam", SPAM, "spam"), ("unread", UNREAD, "new"), ("other", OTHER, "accepted")):
            ids[name] = await tx.proposals.create(NewProposal(resident_id=None, channel="operator", source=None,
                                                              category="idea", text=text))
            if status != "new":
                await tx.moderation.set_status(ids[name], status, "mila")
    return ids


async def supports_of(world, proposal_id: int) -> int:
    return await world.app.db.reader.supports.count(proposal_id)


async def all_supports(world) -> int:
    return await stored.count(world.app.db, "proposal_supports")


async def own_proposals(screen: Screen) -> int:
    return await screen.world.app.db.reader.proposals.count_of_resident((await screen.stored()).id)


async def onboarded(world) -> Screen:
    screen = Screen(world, world.resident(1))
    screen.shown = await onboard(screen.resident)  # at the main menu
    return screen


async def to_the_offer(screen: Screen, text: str = DRAFT) -> str:
    """From the menu: «Предложить идею», the text, «Отправить» on the draft; the screen shown."""
    await screen.tap("menu:propose")
    await screen.say(text)
    await screen.tap("prop:confirm")
    return all_text(screen.shown)


@pytest.mark.parametrize("channel", ["webchat", "telegram"])
async def test_a_resident_about_to_send_a_known_idea_is_offered_the_public_one_and_supports_it_once(
        tmp_path, channel):
    async with load_world(channel)(tmp_path) as world:
        ids = await town(world)
        screen = await onboarded(world)
        shown = await to_the_offer(screen)
        assert "Похожие идеи уже есть" in shown and "Поддержать одну из них или отправить свою?" in shown, shown
        assert f"П-{ids['public']} «{PUBLIC}» — поддержали: 0" in shown, shown
        for hidden in ("rejected", "spam", "unread", "other"):
            assert f"П-{ids[hidden]} " not in shown and f"prop:support:{ids[hidden]}" not in last_buttons(screen.shown)
        assert {f"prop:support:{ids['public']}", "prop:send"} <= set(last_buttons(screen.shown))

        await screen.tap(f"prop:support:{ids['public']}")
        assert f"Вы поддержали идею П-{ids['public']}, теперь её поддерживают: 1" in all_text(screen.shown)
        assert await supports_of(world, ids["public"]) == 1 and await own_proposals(screen) == 0  # draft not sent

        again = await to_the_offer(screen, "Скамейки у пруда поставьте, пожалуйста")  # the same idea once more
        assert "— поддержали: 1" in again, again
        await screen.tap(f"prop:support:{ids['public']}")
        assert "уже поддержали" in all_text(screen.shown) and await supports_of(world, ids["public"]) == 1


async def test_send_mine_sends_the_draft_and_back_then_send_is_not_asked_twice(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        ids = await town(world)
        screen = await onboarded(world)
        await to_the_offer(screen)
        await screen.tap("prop:send")
        assert "Ваше предложение принято" in all_text(screen.shown) and await own_proposals(screen) == 1

        await to_the_offer(screen)
        await screen.tap("nav:back")
        assert "prop:confirm" in last_buttons(screen.shown)  # the draft again, as it was
        await screen.tap("prop:confirm")
        assert "Ваше предложение принято" in all_text(screen.shown) and await own_proposals(screen) == 2
        assert await supports_of(world, ids["public"]) == 0


async def test_a_residents_own_public_proposal_is_not_offered_to_them(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        screen = await onboarded(world)
        assert "Ваше предложение принято" in await to_the_offer(screen, PUBLIC)
        async with world.app.db.transaction() as tx:
            await tx.moderation.set_status(1, "accepted", "mila")
        shown = await to_the_offer(screen)
        assert "Ваше предложение принято" in shown and "Похожие идеи" not in shown, shown


async def test_forged_support_buttons_are_refused_and_store_nothing(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        ids = await town(world)
        screen = await onboarded(world)
        resident = screen.resident
        at_menu = await resident.press(f"prop:support:{ids['public']}")  # not at the offer: not a support
        assert all_text(at_menu) and await all_supports(world) == 0
        screen.shown = await resident.send_text("/start")
        await to_the_offer(screen)
        for forged in (ids["rejected"], ids["spam"], ids["unread"], 99999, "x"):
            refused = await resident.press(f"prop:support:{forged}")
            assert "нельзя поддержать" in all_text(refused), all_text(refused)
            assert f"prop:support:{ids['public']}" in last_buttons(refused)  # the offer again
        assert await all_supports(world) == 0


async def test_nothing_is_stored_before_consent(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        ids = await town(world)
        resident = world.resident(1)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        for payload in (f"prop:support:{ids['public']}", "prop:send", "prop:confirm"):
            await resident.press(payload)
        await resident.send_text(DRAFT)
        assert await all_supports(world) == 0
        assert await world.app.db.reader.proposals.count_of_resident(1) == 0


async def test_a_resident_sees_their_supports_and_forget_removes_them(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        ids = await town(world)
        screen = await onboarded(world)
        await to_the_offer(screen)
        await screen.tap(f"prop:support:{ids['public']}")
        assert await supports_of(world, ids["public"]) == 1
        assert "Поддержано чужих идей: 1" in all_text(await screen.resident.send_text("/privacy"))  # what is kept
        await screen.resident.send_text("/forget")
        assert "удалены" in all_text(await screen.resident.press("priv:confirm"))
        assert await all_supports(world) == 0
