"""Times as the town reads them (issue 13, point 1): a proposal sent at 06:20 on 2 December in
Krasnokamensk (Asia/Chita, UTC+9) is stored as 21:20 UTC on 1 December, and staff and its author
see «02.12.2026 06:20» with the zone stated; dates and times staff type are the town's wall time."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from admin.report import send_weekly_report
from channels.webchat.channel import session_ref
from storage.proposals import NewProposal
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world
from tests.journey import all_text, onboard

SENT = datetime(2026, 12, 1, 21, 20, tzinfo=timezone.utc)  # 06:20 on 2 December in Chita
TEXT = "Починить качели у фонтана в детском парке"

# (zone, how the stored moment reads there, the zone as the footer names it, the local day)
ZONES = [("Asia/Chita", "02.12.2026 06:20", "UTC+9 (Asia/Chita)", "2026-12-02"),
         ("Europe/Moscow", "02.12.2026 00:20", "UTC+3 (Europe/Moscow)", "2026-12-02"),
         ("Europe/Kaliningrad", "01.12.2026 23:20", "UTC+2 (Europe/Kaliningrad)", "2026-12-01")]


async def store_proposal_at(app, moment: datetime, text: str = TEXT, external_id: str = "resident-1") -> int:
    """A resident's consent and proposal, stored by the real storage code with its clock at ``moment``."""
    async with app.db.transaction() as tx:
        resident = await tx.residents.get_or_create("webchat", external_id)
        with time_machine.travel(moment, tick=False):
            await tx.residents.record_consent(resident.id, "v1", "Житель")
            return await tx.proposals.create(NewProposal(resident.id, "webchat", None, "idea", text))


@pytest.mark.parametrize("zone, shown, label, local_day", ZONES)
async def test_staff_see_a_proposal_at_the_towns_hour_with_the_zone_named(tmp_path, zone, shown, label, local_day):
    async with world(tmp_path, SOUCHASTIE_PROJECT_TIME_ZONE=zone) as w:
        number = await store_proposal_at(w.app, SENT)
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            listed = await mila.get("/admin/proposals")
            assert TEXT in listed.text
            assert f'<time datetime="2026-12-01T21:20:00Z">{shown}</time>' in listed.text
            assert f"Время местное: {label}" in listed.text
            assert "2026-12-01 21:20" not in listed.text
            page = await mila.get(f"/admin/proposals/{number}")
            assert f">{shown}</time>" in page.text and f"Время местное: {label}" in page.text

            # «from 2 December to 2 December» is that day on the town's calendar
            day = date.fromisoformat(local_day)
            inside = await mila.get("/admin/proposals", params={"from": local_day, "to": local_day})
            assert TEXT in inside.text
            for other in (day - timedelta(days=1), day + timedelta(days=1)):
                outside = await mila.get("/admin/proposals",
                                         params={"from": other.isoformat(), "to": other.isoformat()})
                assert outside.status == 200 and TEXT not in outside.text
            after, before = (day + timedelta(days=1)).isoformat(), (day - timedelta(days=1)).isoformat()
            assert TEXT not in (await mila.get("/admin/proposals", params={"from": after})).text
            assert TEXT not in (await mila.get("/admin/proposals", params={"to": before})).text


async def test_an_export_filtered_by_a_day_holds_the_proposals_of_that_day_in_the_town(tmp_path):
    async with world(tmp_path) as w:
        await store_proposal_at(w.app, SENT)
        # 00:20 on the 2nd, and 23:59 on the 1st.
        await store_proposal_at(w.app, SENT - timedelta(hours=6), "Скамейки вдоль аллеи", "resident-2")
        await store_proposal_at(w.app, SENT - timedelta(hours=6, minutes=21), "Фонари у пруда", "resident-3")
        await make_staff(w.app, "olga", "staff")
        async with StaffBrowser.of(w.app) as olga:
            await olga.login("olga")
            page = await olga.get("/admin/exports/download", params={"format": "csv", "kind": "proposals",
                                                                     "from": "2026-12-02", "to": "2026-12-02"})
            assert page.status == 200
            assert TEXT in page.text and "Скамейки вдоль аллеи" in page.text and "Фонари у пруда" not in page.text


async def test_a_residents_own_list_and_consent_show_the_towns_date(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident()
        await onboard(resident)
        await store_proposal_at(w.app, SENT, external_id=session_ref(resident.session).external_id)
        mine = all_text(await resident.press("menu:mine"))
        assert "от 02.12.2026" in mine and "2026-12-01" not in mine
        privacy = all_text(await resident.press("menu:privacy"))
        assert "дано 02.12.2026 06:20" in privacy, privacy


async def test_a_broadcast_typed_for_ten_in_the_morning_goes_at_ten_in_the_town(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "olga", "staff")
        async with StaffBrowser.of(w.app) as olga:
            await olga.login("olga")
            form = await olga.get("/admin/broadcasts")
            assert 'type="datetime-local" name="send_at"' in form.text and "время местное" in form.text
            made = await olga.post("/admin/broadcasts", {"title": "Субботник", "text_ru": "Субботник в парке",
                                                        "send_at": "2027-06-10T10:00", "action": "send"})
            assert made.status == 200, made.text[:500]
            [row] = await w.app.db.reader.broadcasts.recent(5)
            assert datetime.fromisoformat(row.send_at) == datetime(2027, 6, 10, 1, 0, tzinfo=timezone.utc)
            assert row.status == "scheduled"
            assert "Отправка: <time datetime=\"2027-06-10T01:00:00Z\">10.06.2027 10:00</time>" in made.text

            typed = await olga.post("/admin/broadcasts", {"title": "Собрание", "text_ru": "Собрание жителей",
                                                         "send_at": "11.06.2027 18:30", "action": "draft"})
            assert typed.status == 200
            assert datetime.fromisoformat((await w.app.db.reader.broadcasts.recent(5))[0].send_at) == \
                datetime(2027, 6, 11, 9, 30, tzinfo=timezone.utc)
            wrong = await olga.post("/admin/broadcasts", {"title": "Ошибка", "text_ru": "Текст",
                                                         "send_at": "завтра утром", "action": "draft"})
            assert wrong.status == 400 and "время местное" in wrong.text


async def test_the_cli_reads_and_prints_broadcast_times_on_the_towns_clock(tmp_path):
    from tests.test_broadcasts import run_cli

    async with world(tmp_path):
        pass  # the schema, made by the application
    code, out, err = await run_cli(tmp_path, "broadcast", "create", "--text-ru", "Субботник",
                                   "--at", "10.06.2027 10:00", "--yes")
    assert code == 0, err
    assert "запланирована 10.06.2027 10:00 (UTC+9)" in out, out
    code, out, err = await run_cli(tmp_path, "broadcast", "status", "1")
    assert code == 0, err
    assert "(отправка 10.06.2027 10:00, UTC+9)" in out, out


CONTENT = """polls:
  - key: bench
    title: {ru: "Какие скамейки поставить?"}
    kind: single
    opens: 2027-06-10T10:00
    closes: 2027-06-20T20:00
    options:
      - {key: wood, title: {ru: "Деревянные"}}
      - {key: metal, title: {ru: "Металлические"}}
series:
  - key: parku_byt
    title: {ru: "ПАРКУ БЫТЬ!"}
    topic: episodes
    episodes:
      - {number: 1, title: {ru: "Начало"}, video_url: "https://example.org/1", air_at: 2027-06-10T19:00}
"""


async def test_a_content_time_without_a_zone_is_the_towns_wall_time(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as anna:
            await anna.login("anna")
            saved = await anna.post("/admin/content", {"yaml": CONTENT, "action": "save"})
            assert saved.status == 200, saved.text[:800]
            [episode] = await w.app.db.reader.episodes.unsettled()
            assert datetime.fromisoformat(episode.air_at) == datetime(2027, 6, 10, 10, 0, tzinfo=timezone.utc)
            reader = w.app.db.reader.content
            assert not await reader.open_at("polls", "2027-06-10T00:59:59+00:00")
            assert await reader.open_at("polls", "2027-06-10T01:00:00+00:00")
            listing = await anna.get("/admin/content")
            assert ">10.06.2027 10:00</time>" in listing.text and ">10.06.2027 19:00</time>" in listing.text


async def test_a_resident_reads_a_polls_opening_on_the_towns_clock_whatever_offset_the_file_gave(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as anna:
            await anna.login("anna")
            moscow = CONTENT.replace("opens: 2027-06-10T10:00", "opens: 2027-06-10T10:00:00+03:00")
            assert (await anna.post("/admin/content", {"yaml": moscow, "action": "save"})).status == 200
        resident = w.resident()
        await onboard(resident)
        answer = all_text(await resident.send_text("/start poll-bench"))
        assert "начнётся 10.06.2027 16:00" in answer, answer


async def test_the_weekly_report_counts_the_towns_week_from_monday_midnight(tmp_path):
    async with world(tmp_path) as w:
        # Not the last finished week: the running bot reports that one itself.
        monday_night = datetime(2026, 11, 15, 16, 0, tzinfo=timezone.utc)  # Monday 16 Nov, 01:00 in Chita
        async with w.app.db.transaction() as tx:
            with time_machine.travel(datetime(2026, 11, 1, tzinfo=timezone.utc), tick=False):
                await tx.residents.get_or_create("webchat", "early")  # the campaign had begun
        await store_proposal_at(w.app, monday_night - timedelta(hours=2), "Скамейки у входа", "a")  # Sunday 23:00
        await store_proposal_at(w.app, monday_night, "Фонари на аллее", "b")
        assert await send_weekly_report(w.app.dispatcher, w.app.settings, today=date(2026, 11, 17))
        body = dict(await w.app.db.reader.statistics.reports())["2026-11-09"]
        assert "Новых предложений: 1" in body, body  # Sunday's, not Monday's
        assert body.startswith("Срез мнений за 09.11–15.11.2026 (время местное, UTC+9)")


async def test_the_statistics_count_weeks_and_the_since_day_on_the_towns_calendar(tmp_path):
    async with world(tmp_path) as w:
        monday_night = datetime(2026, 11, 15, 16, 0, tzinfo=timezone.utc)  # Monday 16 Nov, 01:00 in Chita
        await store_proposal_at(w.app, monday_night - timedelta(hours=2), "Скамейки у входа", "a")  # Sunday 23:00
        await store_proposal_at(w.app, monday_night, "Фонари на аллее", "b")
        await make_staff(w.app, "olga", "staff")
        async with StaffBrowser.of(w.app) as olga:
            await olga.login("olga")
            page = (await olga.get("/admin/stats")).text
            assert ">2026-11-09</text>" in page and ">2026-11-16</text>" in page  # a bar for each week
            since = (await olga.get("/admin/stats", params={"since": "2026-11-16"})).text
            assert ">2026-11-09</text>" not in since and ">2026-11-16</text>" in since
            assert 'name="since" value="2026-11-16"' in since
            assert ">фонарь</span>" in since and ">скамейка</span>" not in since  # the cloud: Monday's words only


async def test_days_and_times_at_the_calendars_ends_are_answered_not_failed(tmp_path):
    async with world(tmp_path) as w:
        await store_proposal_at(w.app, SENT)
        await make_staff(w.app, "anna", "admin")
        async with StaffBrowser.of(w.app) as anna:
            await anna.login("anna")
            widest = await anna.get("/admin/proposals", params={"from": "0001-01-01", "to": "9999-12-31"})
            assert widest.status == 200 and TEXT in widest.text
            assert (await anna.get("/admin/stats", params={"since": "0001-01-01"})).status == 200
            early = await anna.post("/admin/broadcasts", {"title": "Рано", "text_ru": "Текст",
                                                         "send_at": "0001-01-01T00:00", "action": "draft"})
            assert early.status == 400 and "время местное" in early.text
