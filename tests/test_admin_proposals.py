"""Operator entry, the list's filters, duplicates and bulk actions in the staff panel."""
from __future__ import annotations

import aiohttp

from tests.drivers import eventually
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world
from tests.journey import JPEG, all_text, onboard, propose


def entry(text: str, **fields: str) -> dict[str, str]:
    return {"source": "phone", "point": "", "category": "problem", "text": text, "author_name": "Мария Ивановна",
            "author_phone": "+7 914 000-00-00", "consent": "1", **fields}


async def test_an_operator_enters_a_phoned_in_proposal_with_its_source_point_and_photo(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "mila", "moderator")
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as mila, StaffBrowser.of(w.app) as anna:
            await mila.login("mila")
            await anna.login("anna")
            form = aiohttp.FormData()
            for key, value in entry("Сломана горка на детской площадке", source="reception",
                                    point="library", latitude="50,0979",
                                    longitude="118.0372").items():
                form.add_field(key, value)
            form.add_field("photo", JPEG, filename="scan.jpg", content_type="image/jpeg")
            page = await mila.post("/admin/operator", form)
            assert page.status == 200 and "Создано" in page.text
            assert "Центральная городская библиотека" in page.text and "через оператора" in page.text
            assert "Мария Ивановна" not in page.text  # a moderator without the personal-data right
            number = int(page.url.rsplit("/", 1)[1].split("?")[0])
            card = await w.app.db.reader.moderation.card(number)
            assert (card.channel, card.source, card.entered_by) == ("operator", "reception", "mila")
            assert (card.latitude, card.longitude) == (50.0979, 118.0372) and len(card.photos) == 1
            assert "Мария Ивановна" in (await anna.get(f"/admin/proposals/{number}")).text
            listed = await mila.get("/admin/proposals?channel=operator&source=reception&category=problem")
            assert "Сломана горка" in listed.text

            bad = await mila.post("/admin/operator", entry("коротко"))
            assert bad.status == 400 and "Текст" in bad.text
            not_photo = aiohttp.FormData()
            for key, value in entry("Нет освещения на аллее у пруда").items():
                not_photo.add_field(key, value)
            not_photo.add_field("photo", b"%PDF-1.4 not an image", filename="doc.pdf", content_type="image/jpeg")
            assert (await mila.post("/admin/operator", not_photo)).status == 400
            total = await w.app.db.reader.moderation.existing(list(range(1, 10)))
            assert total == [number]


async def test_bulk_actions_notify_every_author_and_spam_is_hidden_from_the_list(tmp_path):
    async with world(tmp_path) as w:
        first, second = w.resident(), w.resident()
        await onboard(first)
        await onboard(second)
        one = await propose(first, "Фонтан в центре парка", photo=False, point=None)
        two = await propose(second, "Фонтан у главного входа", photo=False, point=None)
        ids = [int(one.split("-")[1]), int(two.split("-")[1])]
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            refused = await mila.post("/admin/proposals/bulk", [("id", str(i)) for i in ids] + [
                ("status", "not_feasible"), ("query", "q=фонтан")])
            assert refused.status == 400 and "причину" in refused.text
            done = await mila.post("/admin/proposals/bulk", [("id", str(i)) for i in ids] + [
                ("status", "with_experts"), ("query", "q=фонтан")])
            assert done.status == 200 and "Готово" in done.text and "/admin/proposals?q=" in done.url
            for resident, receipt in ((first, one), (second, two)):
                notice = await eventually(resident.later)
                assert f"{receipt}: у экспертов" in all_text(notice)

            await mila.post("/admin/proposals/bulk", [("id", str(ids[0])), ("status", "spam")])
            default = await mila.get("/admin/proposals")
            assert two in default.text and f">{one}<" not in default.text
            assert f">{one}<" in (await mila.get("/admin/proposals?status=spam")).text
            assert await first.later() == []  # a spammer is not told


async def test_a_duplicate_is_merged_into_the_proposal_it_repeats(tmp_path):
    async with world(tmp_path) as w:
        first, second = w.resident(), w.resident()
        await onboard(first)
        await onboard(second)
        original = await propose(first, "Велодорожка вдоль реки", photo=False, point=None)
        repeat = await propose(second, "Хочу велодорожку у реки", photo=True, point=None)
        target, duplicate = int(original.split("-")[1]), int(repeat.split("-")[1])
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            itself = await mila.post(f"/admin/proposals/{duplicate}/status",
                                     {"status": "duplicate", "duplicate_of": repeat})
            assert itself.status == 400
            await mila.post(f"/admin/proposals/{duplicate}/status", {"status": "duplicate", "duplicate_of": original})
            notice = await eventually(second.later)
            assert f"{repeat} объединено с похожим — {original}" in all_text(notice)
            merged = await w.app.db.reader.moderation.card(target)
            assert len(merged.photos) == 1 and any(e.kind == "merged" for e in merged.events)
            page = await mila.get(f"/admin/proposals/{duplicate}")
            assert f'href="/admin/proposals/{target}"' in page.text
