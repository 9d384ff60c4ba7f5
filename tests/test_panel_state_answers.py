"""What the panel says when the state behind a page has moved on (issue 13, point 4), over HTTP.

A tab left open on a broadcast that has since ended gets a clear Russian answer to «Пауза»,
«Продолжить» or «Отменить», and nothing changes (not the broadcast, not its deliveries, not the
audit log); the progress the page polls carries the share sent. The proposals list marks, and
can show alone, the proposals whose author was asked for a correction and has not sent it; the
mark goes when the author answers in their chat. The site has an icon where browsers ask.
"""
from __future__ import annotations

from broadcasts import outbox
from broadcasts.audience import Audience
from tests.drivers import eventually
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world
from tests.journey import all_text, onboard, propose

BADGE = "ждёт исправления автора"


async def download_csv(staff: StaffBrowser, path: str) -> tuple[int, str]:
    async with staff.http.get(staff.base + path) as response:
        return response.status, (await response.read()).decode("utf-8-sig")


async def finished_broadcast(w, recipients: int = 2) -> int:
    """A broadcast sent to ``recipients`` residents of the web chat, waited for until done."""
    for _ in range(recipients):
        await onboard(w.resident())
    spec = outbox.BroadcastSpec(title="Субботник", texts={"ru": "{{ name }}, приходите на субботник!"},
                                audience=Audience())
    broadcast_id, count = await outbox.create(w.app.db, spec, created_by="sveta")
    assert count == recipients

    async def done():
        shown = await outbox.progress(w.app.db, broadcast_id)
        return shown if shown.status == "done" else None

    await eventually(done)
    return broadcast_id


async def test_pause_on_a_finished_broadcast_is_answered_in_russian_and_changes_nothing(tmp_path):
    async with world(tmp_path) as w:
        broadcast_id = await finished_broadcast(w)
        before = await outbox.progress(w.app.db, broadcast_id)
        assert (before.sent, before.percent) == (2, 100)
        await make_staff(w.app, "sveta", "staff")
        async with StaffBrowser.of(w.app) as sveta:
            await sveta.login("sveta")
            polled = await sveta.http.get(f"{sveta.base}/admin/broadcasts/{broadcast_id}/progress")
            shown = await polled.json()
            assert (shown["percent"], shown["status_title"]) == (100, "завершена")
            for action, words in (("pause", "нельзя поставить на паузу"), ("resume", "нельзя продолжить"),
                                  ("cancel", "нельзя отменить")):
                answer = await sveta.post(f"/admin/broadcasts/{broadcast_id}/{action}")
                assert answer.status == 409, (action, answer.status)
                assert f"Рассылку №{broadcast_id} {words}: её состояние сейчас — «завершена»" in answer.text
                assert "Ничего не изменено" in answer.text
            assert await outbox.progress(w.app.db, broadcast_id) == before
            logged = await w.app.db.reader.staff.audit_entries(action="broadcast.")
            assert logged == []

            # The same buttons on a broadcast that can take them still work, and are logged.
            spec = outbox.BroadcastSpec(title="Черновик", texts={"ru": "Новости парка"}, audience=Audience())
            draft_id, _ = await outbox.create(w.app.db, spec, created_by="sveta", status="draft")
            cancelled = await sveta.post(f"/admin/broadcasts/{draft_id}/cancel")
            assert cancelled.status == 200 and "Сохранено." in cancelled.text
            assert (await outbox.progress(w.app.db, draft_id)).status == "cancelled"
            assert [e.action for e in await w.app.db.reader.staff.audit_entries(action="broadcast.")] \
                == ["broadcast.cancel"]
            again = await sveta.post(f"/admin/broadcasts/{draft_id}/cancel")
            assert again.status == 409 and "её состояние сейчас — «отменена»" in again.text
            assert (await sveta.post("/admin/broadcasts/999/pause")).status == 404


async def test_the_list_marks_and_filters_proposals_waiting_for_their_authors_correction(tmp_path):
    async with world(tmp_path) as w:
        asked, other = w.resident(), w.resident()
        await onboard(asked)
        await onboard(other)
        waiting = await propose(asked, "Поставить скамейки у пруда", photo=False, point=None)
        plain = await propose(other, "Сделать каток зимой на стадионе", photo=False, point=None)
        number = int(waiting.split("-")[1])
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            assert BADGE not in (await mila.get("/admin/proposals")).text
            await mila.post(f"/admin/proposals/{number}/question", {"question": "Какой именно пруд?"})
            assert "Какой именно пруд?" in all_text(await eventually(asked.later))

            listed = await mila.get("/admin/proposals")
            row_of = {receipt: listed.text.split(f">{receipt}<")[1].split("</tr>")[0] for receipt in (waiting, plain)}
            assert BADGE in row_of[waiting] and BADGE not in row_of[plain]
            only = await mila.get("/admin/proposals?correction=1")
            assert f">{waiting}<" in only.text and f">{plain}<" not in only.text
            assert "Фильтры (1)" in only.text
            # «Выгрузить то, что найдено» keeps the filter, and so does the file downloaded from there.
            exports = await mila.get("/admin/exports?correction=1")
            assert 'name="correction" value="1" checked' in exports.text
            status, text = await download_csv(mila, "/admin/exports/download?format=csv&kind=proposals&correction=1")
            assert status == 200 and "Поставить скамейки у пруда" in text and "каток" not in text

            await asked.send_text("Скамейки у нижнего пруда, у лодочной станции")
            assert BADGE not in (await mila.get("/admin/proposals")).text
            assert f">{waiting}<" not in (await mila.get("/admin/proposals?correction=1")).text


async def test_the_site_answers_favicon_ico_with_an_image(tmp_path):
    async with world(tmp_path) as w:
        async with w.http.get(f"{w.base}/favicon.ico") as response:
            body = await response.read()
            assert response.status == 200 and response.content_type.startswith("image/")
            assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
        async with w.http.get(f"{w.base}/chat") as response:
            assert '<link rel="icon" href="/favicon.ico"' in await response.text()
