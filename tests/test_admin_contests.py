"""«Конкурсные работы» in the staff panel, over HTTP: children send works from their chat, a
moderator sees each waiting work with its photo, text, category and age group, approves one and
rejects one with a reason, and each author is told in their own chat; whoever may broadcast sends
the results to a topic's subscribers and the contest's entrants. Roles and the CSRF token hold;
every step is audited."""
from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys

import pytest
from PIL import Image

from broadcasts import outbox
from tests import postgres
from tests.drivers import ROOT, eventually, load_content_into
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.telegram import world as telegram_world
from tests.drivers.webchat import world as webchat_world
from tests.fakes.telegram import FakeTelegram
from tests.journey import all_text, onboard
from tests.test_contests import CONTENT, enter, vote_buttons, works_shown

APPROVED = "Ваша работа №{} на конкурс «Парк моей мечты» прошла проверку"
REJECTED = "Ваша работа №{} на конкурс «Парк моей мечты» не принята. Причина: {}"


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        await load_content_into(running.app, CONTENT)
        yield running


async def audit(world, action: str) -> list[tuple[str, str, str]]:
    entries = await world.app.db.reader.staff.audit_entries(username="", action=action, before_id=None, limit=50)
    return [(e.username, e.subject, e.details) for e in entries]


async def status_of(world, entry_id: int) -> str:
    return (await world.app.db.reader.contests.entry(entry_id)).status


async def test_a_moderator_approves_one_work_and_rejects_another_with_a_reason_and_each_author_is_told(world):
    painter, writer, voter = world.resident(), world.resident(), world.resident()
    await onboard(painter)
    await onboard(writer)
    drawing = await enter(painter, text="Парк с озером и каруселью")
    essay = await enter(writer, category="essay", text="Сочинение про старые качели", photo=False)
    stored = await world.app.db.reader.contests.entry(drawing)
    await make_staff(world.app, "mila", "moderator")
    async with StaffBrowser.of(world.app) as mila:
        await mila.login("mila")
        home = await mila.get("/admin/")
        assert 'href="/admin/contests"' in home.text and "Конкурсные работы" in home.text
        listing = await mila.get("/admin/contests")
        assert "Парк моей мечты" in listing.text and "ждут проверки: 2" in listing.text

        waiting = await mila.get("/admin/contests/drawings")
        assert waiting.status == 200
        card = waiting.text[waiting.text.index(f'id="work-{drawing}"'):waiting.text.index(f'id="work-{essay}"')]
        assert "Парк с озером и каруселью" in card and "Рисунок" in card and "10–13 лет" in card and "веб-чат" in card
        photo = re.search(r'<img src="(/admin/contests/photos/[^"]+)"', card).group(1)
        shown = await mila.get(photo)
        kept = world.app.dispatcher.attachments.path_of(stored.file_key)
        assert shown.status == 200 and shown.body == kept.read_bytes()
        assert "Сочинение про старые качели" in waiting.text and "Сочинение" in waiting.text

        approved = await mila.post(f"/admin/contests/works/{drawing}/approve", {"tab": "pending"})
        assert approved.status == 200 and "Решение записано, автору отправлено уведомление." in approved.text
        assert approved.url.endswith("/admin/contests/drawings?status=pending&notice=contest_decided")
        told = all_text(await eventually(painter.later))
        assert APPROVED.format(drawing) in told

        no_reason = await mila.post(f"/admin/contests/works/{essay}/reject", {"tab": "pending", "reason": "  "})
        assert no_reason.status == 400 and "напишите причину" in no_reason.text
        assert await status_of(world, essay) == "pending"

        reason = "Сочинение прислано в номинацию рисунков — пришлите его ещё раз."
        rejected = await mila.post(f"/admin/contests/works/{essay}/reject", {"tab": "pending", "reason": reason})
        assert rejected.status == 200
        assert REJECTED.format(essay, reason) in all_text(await eventually(writer.later))
        assert APPROVED.format(drawing) not in all_text(await writer.later())

        again = await mila.post(f"/admin/contests/works/{drawing}/approve", {"tab": "pending"})
        assert again.status == 200 and "Решение записано" not in again.text  # nothing changed, nobody told twice
        assert await painter.later() == []

        assert "Все работы проверены" in (await mila.get("/admin/contests/drawings")).text
        approved_tab = await mila.get("/admin/contests/drawings?status=approved")
        assert f'id="work-{drawing}"' in approved_tab.text and f'id="work-{essay}"' not in approved_tab.text
        rejected_tab = await mila.get("/admin/contests/drawings?status=rejected")
        assert f'id="work-{essay}"' in rejected_tab.text and f"Причина: {reason}" in rejected_tab.text
        assert "mila" in rejected_tab.text

    await onboard(voter)
    assert vote_buttons(await works_shown(voter)) == [f"cv:drawings:{drawing}"]
    contest_id, _ = await world.app.db.reader.content.get("contests", "drawings")
    assert await world.app.db.reader.contests.approved(contest_id, "essay") == []
    [(who, subject, details)] = await audit(world, "contest.approve")
    assert who == "mila" and subject == f"работа №{drawing}"
    assert details == {"contest": "drawings", "from": "pending", "to": "approved", "author_told": True}
    [(who, subject, details)] = await audit(world, "contest.reject")
    assert subject == f"работа №{essay}" and details["reason"] == reason and details["author_told"] is True


async def test_a_quick_reason_rejects_with_one_tap(world):
    author = world.resident()
    await onboard(author)
    work = await enter(author)
    await make_staff(world.app, "mila", "moderator")
    async with StaffBrowser.of(world.app) as mila:
        await mila.login("mila")
        page = await mila.get("/admin/contests/drawings")
        quick = re.search(r'name="quick_reason" value="([^"]+)"', page.text).group(1)
        await mila.post(f"/admin/contests/works/{work}/reject", {"tab": "pending", "reason": "", "quick_reason": quick})
    assert REJECTED.format(work, quick) in all_text(await eventually(author.later))


async def test_staff_who_do_not_moderate_see_the_works_but_cannot_decide_and_a_post_needs_the_csrf_token(world):
    author = world.resident()
    await onboard(author)
    work = await enter(author)
    await make_staff(world.app, "oleg", "staff")
    await make_staff(world.app, "egor", "expert")
    await make_staff(world.app, "mila", "moderator")
    async with StaffBrowser.of(world.app) as oleg, StaffBrowser.of(world.app) as egor, \
            StaffBrowser.of(world.app) as mila:
        await oleg.login("oleg")
        await egor.login("egor")
        await mila.login("mila")
        seen = await oleg.get("/admin/contests/drawings")
        assert seen.status == 200 and f'id="work-{work}"' in seen.text
        assert "Одобрить" not in seen.text and "Отклонить" not in seen.text
        assert (await oleg.post(f"/admin/contests/works/{work}/approve", {"tab": "pending"})).status == 403
        assert (await oleg.post(f"/admin/contests/works/{work}/reject", {"reason": "нет"})).status == 403
        assert (await egor.get("/admin/contests")).status == 403
        assert (await egor.post(f"/admin/contests/works/{work}/approve", {})).status == 403
        photo = re.search(r'<img src="(/admin/contests/photos/[^"]+)"', seen.text).group(1)
        assert (await egor.get(photo)).status == 403

        forged = await mila.post(f"/admin/contests/works/{work}/approve", {"tab": "pending"}, csrf=False)
        assert forged.status == 403
        wrong = await mila.post(f"/admin/contests/works/{work}/approve", {"tab": "pending", "csrf": "forged"},
                                csrf=False)
        assert wrong.status == 403
        assert (await mila.post("/admin/contests/drawings/results", {"topic": "results"})).status == 403
    assert await status_of(world, work) == "pending"
    assert await author.later() == []
    assert await audit(world, "contest.approve") == [] and await audit(world, "contest.reject") == []
    assert await world.app.db.reader.broadcasts.recent(5) == []


async def test_the_panel_serves_only_photos_of_contest_works(world):
    author = world.resident()
    await onboard(author)
    work = await world.app.db.reader.contests.entry(await enter(author))
    other = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 90, 40)).save(other, "PNG")
    proposal_photo, _ = await world.app.dispatcher.attachments.put_image(other.getvalue())  # no work's file
    assert proposal_photo != work.file_key
    await make_staff(world.app, "oleg", "staff")  # may see the works, not the proposals' photos
    async with StaffBrowser.of(world.app) as oleg:
        await oleg.login("oleg")
        assert (await oleg.get(f"/admin/contests/photos/{work.file_key}")).status == 200
        assert (await oleg.get(f"/admin/contests/photos/{proposal_photo}")).status == 404


async def test_the_results_go_to_the_topics_subscribers_as_a_broadcast(world):
    painter, fan, other = world.resident(), world.resident(), world.resident()
    await onboard(painter)
    first, second = await enter(painter), await enter(painter, text="Второй рисунок")
    await onboard(fan)
    await fan.press("menu:subscriptions")
    assert "✅ Итоги голосований" in str((await fan.press("sub:results"))[-1].buttons)
    await onboard(other)
    await make_staff(world.app, "mila", "moderator")
    await make_staff(world.app, "oleg", "staff")
    async with StaffBrowser.of(world.app) as mila, StaffBrowser.of(world.app) as oleg:
        await mila.login("mila")
        await oleg.login("oleg")
        for work in (first, second):
            await mila.post(f"/admin/contests/works/{work}/approve", {"tab": "pending"})
        await fan.press("nav:menu")
        await works_shown(fan)
        assert "Ваш голос за работу" in all_text(await fan.press(f"cv:drawings:{second}"))
        assert "Разослать итоги" not in (await mila.get("/admin/contests/drawings")).text

        page = await oleg.get("/admin/contests/drawings")
        assert "Разослать итоги" in page.text
        # The fan follows «results»; the painter sent works: the results reach both.
        assert '<option value="results" selected>Итоги голосований — получателей: 2</option>' in page.text
        assert re.search(r"Голосование ещё идёт — до <time[^>]*>01\.05\.2099 09:00</time>:"
                         r" итоги будут промежуточными\.", page.text)
        assert "UTC+9 (Asia/Chita)" in page.text
        assert (await oleg.post("/admin/contests/drawings/results", {"topic": "nosuch"})).status == 400
        sent = await oleg.post("/admin/contests/drawings/results", {"topic": "results"})
        assert sent.status == 200 and re.search(r"/admin/broadcasts/\d+\?notice=created$", sent.url)
        assert "Итоги конкурса «Парк моей мечты»" in sent.text

    [broadcast] = await world.app.db.reader.broadcasts.recent(5)
    assert broadcast.audience["topic"] == "results" and broadcast.created_by == "oleg"
    results = all_text(await eventually(fan.later))
    assert "Итоги конкурса «Парк моей мечты»:" in results
    assert results.index(f"1. Работа №{second} (10–13 лет) — голосов: 1") < results.index(
        f"2. Работа №{first} (10–13 лет) — голосов: 0")
    assert "Сочинение:\nРабот пока нет." in results
    async def done() -> bool:
        return (await outbox.progress(world.app.db, broadcast.id)).status == "done"

    await eventually(done)
    assert "Итоги конкурса" not in all_text(await other.later())
    assert "Итоги конкурса «Парк моей мечты»:" in all_text(await painter.later())  # an entrant learns the results
    [(who, subject, details)] = await audit(world, "contest.results")
    assert (who, subject) == ("oleg", "drawings")
    assert details == {"broadcast": broadcast.id, "topic": "results", "recipients": 2}  # the fan and the painter


async def test_braces_in_a_contest_title_reach_subscribers_as_written(world, tmp_path):
    odd = tmp_path / "odd.yaml"
    odd.write_text(CONTENT.read_text(encoding="utf-8").replace(
        'title: {ru: "Парк моей мечты", en: "The park of my dreams"}',
        'title: {ru: "Парк {{ name }} {% if x %}мечты", en: "The park"}'), encoding="utf-8")
    await load_content_into(world.app, odd)
    fan = world.resident()
    await onboard(fan)
    await fan.press("menu:subscriptions")
    await fan.press("sub:results")
    await make_staff(world.app, "oleg", "staff")
    async with StaffBrowser.of(world.app) as oleg:
        await oleg.login("oleg")
        sent = await oleg.post("/admin/contests/drawings/results", {"topic": "results"})
        assert sent.status == 200 and "/admin/broadcasts/" in sent.url
    assert "Итоги конкурса «Парк {{ name }} {% if x %}мечты»:" in all_text(await eventually(fan.later))


async def test_a_telegram_author_hears_the_panels_decision_at_once_and_the_clis_once_the_bot_starts(tmp_path):
    """The panel runs inside the bot and sends at once; the CLI only writes the notice to the
    outbox, and the bot sends it when it starts."""
    fake = await FakeTelegram().start()
    try:
        async with telegram_world(tmp_path, fake) as w:
            await load_content_into(w.app, CONTENT)
            author = w.resident(1)
            await onboard(author)
            refused = await enter(author, text="Рисунок не про парк")
            kept = await enter(author, text="Парк с фонтаном")
            await make_staff(w.app, "mila", "moderator")
            async with StaffBrowser.of(w.app) as mila:
                await mila.login("mila")
                await mila.post(f"/admin/contests/works/{refused}/reject", {"reason": "Работа не по теме конкурса."})
            told = await eventually(lambda: all_text(author.new_messages()))
            assert REJECTED.format(refused, "Работа не по теме конкурса.") in told
            environment = {**os.environ, **postgres.bot_environment(w.app.settings.storage.path)}
        approved = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "bot", "contests", "approve", str(kept)], cwd=ROOT,
            env=environment, capture_output=True, text=True, timeout=60)
        assert approved.returncode == 0 and "при следующем запуске бота" in approved.stdout, approved.stderr
        async with telegram_world(tmp_path, fake) as w:
            author = w.resident(1)
            # A new resident handle has seen nothing: every message of this chat counts, the
            # approval among them once the bot, starting, sends what the CLI queued.
            await eventually(lambda: APPROVED.format(kept) in all_text(author.new_messages()))
    finally:
        await fake.close()


async def test_the_public_page_shows_a_contests_results_once_staff_sent_them_and_no_author(world):
    painter, fan = world.resident(), world.resident()
    await onboard(painter)
    first, second = await enter(painter), await enter(painter, text="Второй рисунок")
    await onboard(fan)
    await make_staff(world.app, "mila", "moderator")
    await make_staff(world.app, "oleg", "staff")
    async with StaffBrowser.of(world.app) as mila, StaffBrowser.of(world.app) as oleg:
        await mila.login("mila")
        await oleg.login("oleg")
        for work in (first, second):
            await mila.post(f"/admin/contests/works/{work}/approve", {"tab": "pending"})
        await works_shown(fan)
        await fan.press(f"cv:drawings:{second}")

        async def public_page() -> str:
            async with world.http.get(world.base + "/public") as response:
                assert response.status == 200
                return await response.text()

        assert "Итоги конкурсов" not in await public_page()  # voting goes on: nothing announced yet
        assert (await oleg.post("/admin/contests/drawings/results", {"topic": "results"})).status == 200
        page = await public_page()
    assert "Итоги конкурсов" in page and "Парк моей мечты" in page
    assert page.index(f"Работа №{second} (10–13 лет) — голосов: 1") < page.index(
        f"Работа №{first} (10–13 лет) — голосов: 0")
    assert "Второй рисунок" not in page  # a work's text (and so its author's words) stays in the panel
