"""The weekly «срез мнений» (a slice of opinions): what residents said in the last finished week.

The bot's Scheduler runs ``send_weekly_report`` every ``reports.check_every_seconds``. Once a week
(Monday 00:00 to Monday 00:00 on the town's clock, ``project.time_zone``) is over, its report is written to the panel
(table weekly_reports, the statistics page shows it) and sent, in the same transaction, to the staff residents named
in ``reports.recipients`` ("telegram:12345") through the dispatcher's outbox — so a restart or a
second run neither loses it nor sends it twice. Weeks that ended before the first resident
came get no report, so a new installation does not greet staff with a week of zeros.
"""
from __future__ import annotations

from datetime import date, timedelta

from admin.tagcloud import count_forms, lemmas
from bot.config import Settings
from bot.core.events import ResidentRef
from bot.core.plugins import Feature, Job
from bot.core.replies import Reply
from storage.ports.repositories import Repositories


def last_finished_week(today: date) -> tuple[date, date]:
    """(Monday, next Monday) of the last week that has ended before ``today``."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday


async def build_report(reader: Repositories, settings: Settings, start: date, end: date) -> str:
    clock = settings.project.clock
    since, until = clock.midnight(start), clock.midnight(end)
    titles = {c.key: c.title_in("ru") for c in settings.proposals.categories}
    categories = await reader.statistics.proposals_by_category(since, until)
    residents = await reader.statistics.new_residents(since, until)
    forms = None
    async for page in reader.statistics.proposal_texts(since, until):
        forms = count_forms(page, forms)
    words = lemmas(forms).most_common(10) if forms else []
    last_day = end - timedelta(days=1)
    lines = [f"Срез мнений за {start:%d.%m}–{last_day:%d.%m.%Y} (время местное, {clock.label()})",
             f"Новых участников: {residents}",
             f"Новых предложений: {sum(n for _, n in categories)}"]
    lines += [f"  {titles.get(key, key)}: {count}" for key, count in categories]
    if words:
        lines.append("О чём пишут: " + ", ".join(f"{word} ({count})" for word, count in words))
    return "\n".join(lines)


async def send_weekly_report(dispatcher, settings: Settings, today: date | None = None) -> bool:
    """Write and send the report of the last finished week, once; True when it was made now."""
    clock = settings.project.clock
    start, end = last_finished_week(today or clock.today())
    week = start.isoformat()
    reader = dispatcher.db.reader
    if await reader.statistics.has_report(week):
        return False
    if not await reader.statistics.new_residents("", clock.midnight(end)):
        return False  # the campaign had not begun: no report of a week before the first resident
    body = await build_report(reader, settings, start, end)
    recipients = [ResidentRef(channel=channel, external_id=external_id)
                  for channel, _, external_id in (item.partition(":") for item in settings.reports.recipients)]
    made = False

    async def build(tx: Repositories) -> list[tuple[ResidentRef, Reply]]:
        nonlocal made
        made = await tx.statistics.add_report(week, body)
        return [(ref, Reply(text=body)) for ref in recipients] if made else []

    await dispatcher.notify(build)
    return made


FEATURE = Feature("weekly report", jobs=(
    Job("weekly report", every=lambda settings: settings.reports.check_every_seconds,
        build=lambda app: lambda: send_weekly_report(app.dispatcher, app.settings)),))
