"""Likely duplicates on a proposal's page, and «Объединить» in one click (issue 13, point 6): the
newer proposal becomes a duplicate of the older, its supporters (and its author) support the
older one, its author is told in their messenger, and the list and the export count supports."""
from __future__ import annotations

import csv
import io
import re

from tests.drivers import CAMPAIGN, eventually, load_content_into
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world
from tests.journey import all_text, last_buttons, onboard

FIRST = "Поставить лавочки у пруда, пожилым негде присесть"
SECOND = "Нужны скамейки возле пруда: пожилым людям негде присесть"
UNRELATED = "Почистить пруд, он весь зарос тиной"


async def send(resident, text: str) -> int:
    """Propose ``text`` and send it even where similar ideas are offered; the receipt's number."""
    await resident.press("menu:propose")
    await resident.send_text(text)
    shown = await resident.press("prop:confirm")
    if "prop:send" in last_buttons(shown):
        shown = await resident.press("prop:send")
    return int(re.search(r"П-(\d+)", all_text(shown)).group(1))


async def support(resident, text: str, number: int) -> None:
    await resident.press("menu:propose")
    await resident.send_text(text)
    offer = await resident.press("prop:confirm")
    assert f"prop:support:{number}" in last_buttons(offer), all_text(offer)
    assert "Вы поддержали" in all_text(await resident.press(f"prop:support:{number}"))


def row_of(page: str, number: int) -> str:
    return re.search(rf'<tr>\s*(?:<td[^>]*><input[^>]*></td>)?\s*<td[^>]*><a href="/admin/proposals/{number}">.*?</tr>',
                     page, re.S).group(0)


async def test_merging_a_duplicate_moves_its_supports_marks_it_and_tells_its_author(tmp_path):
    async with world(tmp_path) as w:
        await load_content_into(w.app, CAMPAIGN)
        first_author, second_author, carol, dan = (w.resident(n) for n in range(4))
        for resident in (first_author, second_author, carol, dan):
            await onboard(resident)
        first = await send(first_author, FIRST)
        other = await send(first_author, UNRELATED)
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            for number in (first, other):
                await mila.post(f"/admin/proposals/{number}/status", {"status": "accepted"})
            second = await send(second_author, SECOND)  # offered the first one, sends their own all the same
            await mila.post(f"/admin/proposals/{second}/status", {"status": "in_review"})
            await support(carol, SECOND, second)
            await support(dan, SECOND, second)
            await support(dan, FIRST, first)  # dan supports both: after the merge, still one
            await second_author.later()  # the status notice

            page = await mila.get(f"/admin/proposals/{second}")
            assert "Похожие предложения — возможные дубликаты" in page.text
            duplicates = page.text.split("возможные дубликаты", 1)[1].split("</table>", 1)[0]
            assert f'href="/admin/proposals/{first}"' in duplicates and f"/admin/proposals/{other}\"" not in duplicates
            assert re.search(r"<td>\d{2,3} %</td>", duplicates), duplicates
            assert f'action="/admin/proposals/{second}/merge"' in duplicates and f'value="{first}"' in duplicates

            merged = await mila.post(f"/admin/proposals/{second}/merge", {"into": str(first), "back": str(second)})
            assert merged.status == 200 and "Объединено" in merged.text
            card = await w.app.db.reader.moderation.card(second)
            assert (card.status, card.duplicate_of) == ("duplicate", first)
            assert "дубликат (объединено)" in merged.text and "Дубликат предложения" in merged.text
            supports = w.app.db.reader.supports
            assert await supports.count(second) == 0
            assert await supports.count(first) == 3  # dan once, carol, and the duplicate's author
            told = all_text(await eventually(second_author.later))
            assert f"П-{second} объединено с похожим — П-{first}" in told

            listed = await mila.get("/admin/proposals")
            assert "<th>Поддержали</th>" in listed.text
            assert "<td data-label=\"Поддержали\">3</td>" in row_of(listed.text, first)
            export = await mila.get("/admin/exports/download?format=csv&kind=proposals")
            header, *rows = list(csv.reader(io.StringIO(export.body.decode("utf-8-sig")), delimiter=";"))
            column = header.index("Поддержали")
            assert {row[0]: row[column] for row in rows}[f"П-{first}"] == "3"

            again = await mila.post(f"/admin/proposals/{second}/merge", {"into": str(first)})
            assert again.status == 400 and "уже объединено" in again.text
            nowhere = await mila.post(f"/admin/proposals/{other}/merge", {"into": "9999"})
            assert nowhere.status == 400 and (await w.app.db.reader.moderation.card(other)).status == "accepted"
            forged = await mila.post(f"/admin/proposals/{other}/merge", {"into": str(first)}, csrf=False)
            assert forged.status == 403 and (await w.app.db.reader.moderation.card(other)).status == "accepted"
        third = await send(carol, "Лавочки у пруда поставить бы, пожилым присесть негде")
        await make_staff(w.app, "eva", "expert")
        async with StaffBrowser.of(w.app) as eva:
            await eva.login("eva")
            page = await eva.get(f"/admin/proposals/{first}")
            assert f'href="/admin/proposals/{third}"' in page.text.split("возможные дубликаты", 1)[1]
            assert "/merge" not in page.text  # an expert sees the likely duplicates and cannot merge
            refused = await eva.post(f"/admin/proposals/{other}/merge", {"into": str(first)})
            assert refused.status == 403 and (await w.app.db.reader.moderation.card(other)).status == "accepted"
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as anna:
            await anna.login("anna")
            log = await anna.get("/admin/audit?user=mila")
            assert "Статус предложения изменён" in log.text and f"объединено с: П-{first}" in log.text
