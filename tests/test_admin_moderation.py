"""Moderation end to end: a resident proposes in their messenger, staff work on it in the panel,
and every answer and status change reaches the author in the same messenger."""
from __future__ import annotations

import re

from tests.drivers import eventually, telegram as telegram_driver
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world
from tests.journey import all_text, last_buttons, onboard, propose


async def test_a_moderators_answer_status_and_question_reach_the_authors_web_chat_and_the_correction_comes_back(
        tmp_path):
    async with world(tmp_path) as w:
        author = w.resident()
        await onboard(author)
        receipt = await propose(author, "Поставить скамейки у пруда и фонарь")
        number = int(receipt.split("-")[1])
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            found = await mila.get("/admin/proposals?q=скамейк")
            assert receipt in found.text and "Поставить скамейки" in found.text
            assert receipt not in (await mila.get("/admin/proposals?q=трамвай")).text
            assert receipt in (await mila.get("/admin/proposals?photo=1&location=1&channel=webchat")).text
            page = await mila.get(f"/admin/proposals/{number}")
            assert "yandex.ru/maps/?pt=118.0317,50.0958" in page.text
            photo = re.search(r'src="(/admin/photos/[^"]+)"', page.text).group(1)
            assert (await mila.get(photo)).status == 200

            await mila.post(f"/admin/proposals/{number}/status", {"status": "in_review"})
            notices = await eventually(author.later)
            assert f"Ваше предложение {receipt}: на рассмотрении." in all_text(notices)

            sent = await mila.post(f"/admin/proposals/{number}/answer", {"text": "Спасибо! Передали в проект."})
            assert "Отправлено автору" in sent.text
            answer = await eventually(author.later)
            assert "Спасибо! Передали в проект." in all_text(answer) and receipt in all_text(answer)

            await mila.post(f"/admin/proposals/{number}/question",
                            {"question": "Какой именно пруд — верхний или нижний?"})
            question = await eventually(author.later)
            assert "верхний или нижний" in all_text(question)
            assert f"fix:{number}" in last_buttons(question)

            thanks = await author.send_text("Скамейки у нижнего пруда, у лодочной станции, и фонарь там же")
            assert "получен" in all_text(thanks)
            card = await w.app.db.reader.moderation.card(number)
            assert card.text == "Скамейки у нижнего пруда, у лодочной станции, и фонарь там же"
            assert card.open_question is None
            history = await mila.get(f"/admin/proposals/{number}")
            assert "исправление от автора" in history.text and "было: Поставить скамейки у пруда" in history.text
            assert "на рассмотрении" in history.text and "ответ автору" in history.text
            assert receipt in (await mila.get("/admin/proposals?q=лодочной")).text  # the index follows the text
        async with StaffBrowser.of(w.app) as anna:
            await make_staff(w.app, "anna", "admin")
            await anna.login("anna")
            log = await anna.get("/admin/audit?user=mila")
            for action in ("Статус предложения изменён", "Автору отправлен ответ", "Автору задан вопрос"):
                assert action in log.text.split("<tbody>")[1]


async def test_a_telegram_author_hears_the_reason_and_corrects_through_the_button_when_busy(tmp_path):
    async with telegram_driver.world(tmp_path) as w:
        author = w.resident(1)
        await onboard(author)
        receipt = await propose(author, "Сделать каток зимой на стадионе", photo=False, point=None)
        number = int(receipt.split("-")[1])
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            await mila.post(f"/admin/proposals/{number}/status",
                            {"status": "not_feasible", "reason": "стадион на ремонте до 2028 года"})
            notice = await eventually(lambda: all_text(author.new_messages()))
            assert receipt in notice and "невозможно реализовать" in notice and "на ремонте до 2028" in notice

            await author.press("menu:propose")  # busy with a new proposal when the question comes
            await mila.post(f"/admin/proposals/{number}/question", {"question": "Может быть, каток во дворе школы?"})
            question = await eventually(author.new_messages)
            assert "во дворе школы" in all_text(question) and f"fix:{number}" in last_buttons(question)
            asked = await author.press(f"fix:{number}")
            assert "исправленный текст" in all_text(asked)
            done = await author.send_text("Сделать каток зимой во дворе школы номер 3")
            assert "получен" in all_text(done)
            card = await w.app.db.reader.moderation.card(number)
            assert card.text == "Сделать каток зимой во дворе школы номер 3"


async def test_experts_give_opinions_that_suggest_the_question_but_cannot_change_a_status(tmp_path):
    async with world(tmp_path) as w:
        author = w.resident()
        await onboard(author)
        receipt = await propose(author, "Вернуть в парк карусель «Ромашка»", photo=False, point=None)
        number = int(receipt.split("-")[1])
        await make_staff(w.app, "egor", "expert")
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as egor, StaffBrowser.of(w.app) as mila:
            await egor.login("egor")
            await mila.login("mila")
            no_comment = await egor.post(f"/admin/proposals/{number}/opinion", {"verdict": "needs_correction"})
            assert no_comment.status == 400
            await egor.post(f"/admin/proposals/{number}/opinion",
                            {"verdict": "needs_correction", "comment": "Уточните место: у входа или у пруда?"})
            assert (await egor.post(f"/admin/proposals/{number}/status", {"status": "accepted"})).status == 403
            assert (await egor.post(f"/admin/proposals/{number}/answer", {"text": "Да"})).status == 403
            page = await mila.get(f"/admin/proposals/{number}")
            assert "egor" in page.text and "нужна доработка" in page.text
            assert ">Уточните место: у входа или у пруда?</textarea>" in page.text
            card = await w.app.db.reader.moderation.card(number)
            assert card.status == "new" and [o.verdict for o in card.opinions] == ["needs_correction"]


async def test_answer_templates_fill_the_answer_box(tmp_path):
    async with world(tmp_path) as w:
        author = w.resident()
        await onboard(author)
        number = int((await propose(author, "Посадить липы вдоль аллеи", photo=False, point=None)).split("-")[1])
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            await mila.post("/admin/answers", {"title": "Передано", "text": "Ваше предложение передано архитекторам."})
            template = (await w.app.db.reader.moderation.templates())[0]
            page = await mila.get(f"/admin/proposals/{number}?template={template.id}")
            assert ">Ваше предложение передано архитекторам.</textarea>" in page.text
