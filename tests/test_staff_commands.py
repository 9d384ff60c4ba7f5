"""Staff commands as an official types them: a typo is an error that names what is allowed, in
Russian, with exit code 2 and nothing written; a broadcast is stored only once confirmed; the
same database from any folder; no messenger token needed for what reaches no messenger.

Each command is the real ``python -m bot`` in a subprocess, on a real SQLite file.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.plurals import counted, grouped, plural
from bot.running import RunningMark, bot_running
from storage.database import Database
from tests.drivers import ROOT

CAMPAIGN = ROOT / "content" / "campaign.yaml"
QUIZZES = ("викторина", "викторины", "викторин")


def environment(**settings: str) -> dict[str, str]:
    """The shell of an official: no SOUCHASTIE_ variable but the ones a test gives."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("SOUCHASTIE_")}
    return {**clean, "PYTHONPATH": str(ROOT), **settings}  # this checkout's code, run from any folder


def command(*arguments: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
            **options) -> subprocess.CompletedProcess:
    options.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([sys.executable, "-m", "bot", "--log-level", "WARNING", *arguments], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=60, **options)


async def add_residents(path: Path, count: int, channel: str = "telegram") -> None:
    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            for number in range(count):
                resident = await tx.residents.get_or_create(channel, str(1000 + number))
                await tx.residents.record_consent(resident.id, "2026-11-01", "")
                await tx.residents.set_first_source(resident.id, "poster_12")
    finally:
        await db.close()


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> dict[str, str]:
    """A database with the campaign's content and three residents; its environment."""
    folder = tmp_path_factory.mktemp("town")
    env = environment(SOUCHASTIE_STORAGE_PATH=str(folder / "souchastie.db"),
                      SOUCHASTIE_STORAGE_ATTACHMENTS_DIR=str(folder / "attachments"))
    loaded = command("--config", str(ROOT / "config.yaml"), "content", "load", str(CAMPAIGN), env=env)
    assert loaded.returncode == 0, loaded.stderr
    asyncio.run(add_residents(folder / "souchastie.db", 3))
    return env


def broadcasts_listed(env: dict[str, str]) -> str:
    listed = command("--config", str(ROOT / "config.yaml"), "broadcast", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


def broadcasts_stored(env: dict[str, str]) -> list:
    """The broadcasts in the town's database, read here: what ``broadcast list`` lists, without
    starting another process for each of the many refused commands."""
    async def read() -> list:
        db = await Database.open(Path(env["SOUCHASTIE_STORAGE_PATH"]))
        try:
            return await db.reader.broadcasts.recent()
        finally:
            await db.close()

    return asyncio.run(read())


TYPOS = [
    (("export", "csv", "--date-from", "2026-13-45"), ["«2026-13-45»", "ГГГГ-ММ-ДД"]),
    (("export", "csv", "--date-to", "вчера"), ["«вчера»", "ГГГГ-ММ-ДД"]),
    (("export", "csv", "--category", "treee"), ["«treee»", "tree (Дерево (Я-дендролог))", "idea"]),
    (("export", "csv", "--kind", "banana"), ["«banana»", "proposals", "survey:<ключ опроса>"]),
    (("export", "csv", "--kind", "survey:nosuch"), ["«survey:nosuch»", "survey:opinion"]),
    (("export", "csv", "--status", "acepted"), ["'acepted'", "'accepted'"]),
    (("export", "csv", "--channel", "telegrm"), ["'telegrm'", "'telegram'", "'operator'"]),
    (("export", "csv", "--source", "poster_99"), ["«poster_99»", "можно: пока ничего нет"]),
    (("export", "csvv"), ["'csvv'", "'xlsx'"]),
    (("broadcast", "create", "--text-ru", "Субботник", "--channel", "telegrm", "--yes"), ["'telegrm'", "'vk'"]),
    (("broadcast", "create", "--text-ru", "Субботник", "--poll", "nosuch", "--yes"), ["«nosuch»", "territory"]),
    (("broadcast", "create", "--text-ru", "Субботник", "--topic", "newz", "--yes"), ["«newz»", "news"]),
    (("broadcast", "create", "--text-ru", "Субботник", "--source", "poster_13", "--yes"), ["«poster_13»", "poster_12"]),
    (("broadcast", "create", "--text-ru", "Субботник", "--language", "rus", "--yes"), ["'rus'", "'ru'"]),
    (("broadcast", "create", "--text-ru", "Субботник", "--media", "gif=https://x.ru/a", "--yes"),
     ["«gif»", "photo, video, document"]),
    (("broadcast", "create", "--text-ru", "Субботник", "--at", "2026-06-31T08:00", "--yes"),
     ["«2026-06-31T08:00»", "по времени города", "25.06.2026 08:00"]),
    (("broadcast", "watch", "первая"), ["«первая»", "целое число"]),
    (("contests", "approve", "3a"), ["«3a»", "целое число"]),
    (("admin", "create", "olga", "--role", "moderatr"), ["'moderatr'", "'moderator'"]),
    (("exprot", "csv"), ["'exprot'", "'export'"]),
    (("export",), ["не хватает обязательных аргументов: format"]),
]


@pytest.mark.parametrize("arguments, named", TYPOS, ids=[" ".join(case[0]) for case in TYPOS])
def test_an_unknown_value_is_refused_in_russian_naming_what_is_allowed_and_nothing_is_written(
        town, tmp_path, arguments, named):
    done = command("--config", str(ROOT / "config.yaml"), *arguments, cwd=tmp_path, env=town)
    assert done.returncode == 2, done.stdout + done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert "ошибка:" in error and "Traceback" not in done.stderr
    for allowed in named:
        assert allowed in error
    for english in ("usage:", "error:", "invalid choice", "the following arguments", "nothing"):
        assert english not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no export file, not even a part of one
    assert broadcasts_stored(town) == []


def test_help_is_in_russian():
    shown = command("broadcast", "create", "--help", env=environment())
    assert shown.returncode == 0
    assert shown.stdout.startswith("использование: python -m bot broadcast create")
    assert "параметры:" in shown.stdout and "показать эту справку и выйти" in shown.stdout
    assert "--yes" in shown.stdout and "usage:" not in shown.stdout


def test_a_broadcast_from_a_script_needs_yes_and_is_stored_with_it(town):
    config = ("--config", str(ROOT / "config.yaml"))
    asked = command(*config, "broadcast", "create", "--text-ru", "Субботник в парке", env=town)
    assert asked.returncode == 2
    assert "Получателей: 3 (Telegram 3)" in asked.stdout
    assert "--yes" in asked.stderr and "не создана" in asked.stderr
    assert broadcasts_listed(town).strip() == "Рассылок пока нет"
    known = command(*config, "broadcast", "create", "--text-ru", "Субботник", "--source", "poster_12", "--poll",
                    "territory", "--topic", "news", "--channel", "telegram", "--dry-run", env=town)
    assert known.returncode == 0 and "Получателей: 0" in known.stdout  # known values, though nobody voted yet

    made = command(*config, "broadcast", "create", "--text-ru", "Субботник в парке", "--yes", env=town)
    assert made.returncode == 0, made.stderr
    assert "Рассылка № 1 создана: 3 получателя" in made.stdout
    assert "Субботник в парке" in broadcasts_listed(town)
    command(*config, "broadcast", "cancel", "1", env=town)


def answered(town: dict[str, str], answer: str) -> subprocess.CompletedProcess:
    """``broadcast create`` at a terminal (a pseudo-terminal as its input), answered ``answer``."""
    main, terminal = os.openpty()
    try:
        os.write(main, answer.encode() + b"\n")
        return command("--config", str(ROOT / "config.yaml"), "broadcast", "create", "--text-ru", "Концерт",
                       "--title", f"Концерт {answer}", env=town, stdin=terminal)
    finally:
        os.close(terminal)
        os.close(main)


def test_at_a_terminal_the_count_is_asked_about_and_only_yes_stores_it(town):
    declined = answered(town, "н")
    assert "Будет отправлено 3 жителям. Создать рассылку? [д/Н]" in declined.stdout
    assert declined.returncode == 1 and "Рассылка не создана" in declined.stdout
    assert "Концерт н" not in broadcasts_listed(town)
    accepted = answered(town, "д")
    assert accepted.returncode == 0, accepted.stderr
    assert "Будет отправлено 3 жителям. Создать рассылку? [д/Н]" in accepted.stdout
    assert re.search(r"Рассылка № \d+ создана: 3 получателя", accepted.stdout)
    assert "Концерт д" in broadcasts_listed(town)


def test_watch_says_when_no_bot_is_running_and_watches_while_one_is(town):
    config = ("--config", str(ROOT / "config.yaml"))
    made = command(*config, "broadcast", "create", "--text-ru", "Праздник двора", "--yes", env=town)
    number = re.search(r"Рассылка № (\d+) создана", made.stdout)[1]
    alone = command(*config, "broadcast", "watch", number, env=town)
    assert alone.returncode == 1
    assert "Бот не запущен" in alone.stderr and "python -m bot run" in alone.stderr

    mark = RunningMark(Path(town["SOUCHASTIE_STORAGE_PATH"]))  # as a running bot holds it
    mark.hold()
    try:
        watching = subprocess.Popen([sys.executable, "-m", "bot", *config, "broadcast", "watch", number], cwd=ROOT,
                                    env=town, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cancelled = command(*config, "broadcast", "cancel", number, env=town)
        assert cancelled.returncode == 0, cancelled.stderr
        out, err = watching.communicate(timeout=60)
    finally:
        mark.release()
    assert watching.returncode == 0, err
    assert f"Рассылка № {number} отменена" in out and "Бот не запущен" not in err


def test_the_running_mark_goes_with_a_killed_bot(tmp_path):
    database = tmp_path / "souchastie.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from bot.running import RunningMark;"
         " RunningMark(Path(sys.argv[1])).hold(); print('held', flush=True); time.sleep(600)", str(database)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert bot_running(database)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert not bot_running(database)  # no shutdown code ran, and still no stale mark


def test_relative_files_in_the_config_are_beside_it_from_any_folder(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "config.yaml").write_text("storage:\n  path: data/town.db\n  attachments_dir: data/photos\n",
                                      encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = environment()
    password = "длинный пароль 2026"
    first = command("--config", "site/config.yaml", "admin", "create", "olga", "--role", "moderator",
                    cwd=tmp_path, env=env, input=password + "\n", stdin=None)
    assert first.returncode == 0, first.stderr
    again = command("--config", "../site/config.yaml", "admin", "create", "olga", "--role", "moderator",
                    cwd=elsewhere, env=env, input=password + "\n", stdin=None)
    assert again.returncode == 2 and "«olga» уже есть" in again.stderr  # the same database
    assert (site / "data" / "town.db").exists()
    assert not (tmp_path / "data").exists() and not (elsewhere / "data").exists()


def test_staff_commands_need_no_messenger_token_though_a_channel_is_enabled(tmp_path):
    (tmp_path / "config.yaml").write_text("telegram:\n  enabled: true\nvk:\n  enabled: true\n", encoding="utf-8")
    env = environment()
    loaded = command("content", "load", str(CAMPAIGN), cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "Загружено: 4 голосования, 1 викторина, 2 опроса, 1 конкурс, 1 сериал"
    exported = command("export", "csv", cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("Готово: 0 строк в файле proposals.csv")
    made = command("broadcast", "create", "--text-ru", "Новости", "--yes", cwd=tmp_path, env=env)
    assert made.returncode == 0 and "Рассылка № 1 создана: 0 получателей" in made.stdout, made.stderr
    refused = command("run", cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert "SOUCHASTIE_TELEGRAM_TOKEN" in refused.stderr and "SOUCHASTIE_VK_TOKEN" in refused.stderr


@pytest.mark.parametrize("number, text", [
    (0, "0 викторин"), (1, "1 викторина"), (2, "2 викторины"), (4, "4 викторины"), (5, "5 викторин"),
    (11, "11 викторин"), (12, "12 викторин"), (14, "14 викторин"), (21, "21 викторина"), (22, "22 викторины"),
    (101, "101 викторина"), (111, "111 викторин"), (1234, "1 234 викторины"), (51387, "51 387 викторин")])
def test_counts_agree_with_their_words(number, text):
    assert counted(number, QUIZZES) == text


def test_dative_and_grouping_as_the_confirmation_says_them():
    assert plural(1, ("жителю", "жителям", "жителям")) == "жителю"
    assert counted(1234, ("жителю", "жителям", "жителям")) == "1 234 жителям"
    assert grouped(1000000) == "1 000 000"
