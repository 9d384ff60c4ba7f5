"""The command line's progress bars as staff see them on a terminal and in a log."""
from __future__ import annotations

import asyncio
import io
import secrets

from admin.export_command import progress_bar
from bot.progress import CELLS, Bar
from bot.running import RunningMark
from broadcasts.audience import Audience
from broadcasts.cli import _watch
from broadcasts.outbox import BroadcastSpec, cancel, create
from storage.open import open_database
from tests.drivers import eventually, test_settings


class Terminal(io.StringIO):
    """What a bar writes, read as a terminal shows it: a carriage return goes back to the line's
    start and what follows overwrites what was there, character by character."""

    def isatty(self) -> bool:
        return True

    def screen(self) -> list[str]:
        lines = []
        for written in self.getvalue().split("\n"):
            shown = ""
            for frame in written.split("\r"):
                shown = frame + shown[len(frame):]
            lines.append(shown)
        return lines


async def test_watching_on_a_terminal_leaves_the_final_bar_without_the_longer_one_before(tmp_path):
    settings = test_settings(tmp_path)
    db = await open_database(settings.storage.choice())
    mark = RunningMark(settings.storage.path)  # as a running bot holds it, so the watch goes on
    mark.hold()
    try:
        async with db.transaction() as tx:
            for _ in range(1234):
                resident = await tx.residents.get_or_create("webchat", secrets.token_hex(8))
                await tx.residents.record_consent(resident.id, "2026-11-01", "")
        number, _ = await create(db, BroadcastSpec(title="test", texts={"ru": "Субботник"}, audience=Audience()))
        terminal = Terminal()
        watching = asyncio.create_task(_watch(db, settings, number, terminal, every=0.01))
        await eventually(lambda: "в очереди 1234" in terminal.getvalue())
        await cancel(db, number)
        assert await watching == 0
    finally:
        mark.release()
        await db.close()
    bar, summary, _ = terminal.screen()
    assert bar.rstrip() == f"[{'#' * 30}] 100%  отправлено 0  ошибок 0  неизвестно 0  в очереди 0  отменена"
    assert summary.startswith(f"Рассылка № {number} отменена")


def test_an_export_of_rows_not_counted_ahead_shows_the_rows_so_far():
    terminal = Terminal()
    with progress_bar(0, terminal) as bar:
        bar.update(45_000)
    assert terminal.screen()[0].rstrip() == "45 000 строк"


def test_a_narrow_terminal_still_shows_the_whole_line_with_its_figures():
    terminal = Terminal()
    with Bar(total=2, file=terminal, ncols=40, bar_format=f"[{CELLS}] {{status}}",
             fields=lambda bar: {"status": "отправлено 610  ошибок 2  неизвестно 0  идёт отправка"}) as bar:
        bar.update(1)
    assert terminal.screen()[0].rstrip() == (f"[{'#' * 15}{'-' * 15}] отправлено 610  ошибок 2  неизвестно 0"
                                             "  идёт отправка")
