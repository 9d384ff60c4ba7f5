"""``python -m bot broadcast …``: make, watch and control broadcasts from the command line.

    broadcast create --text-ru T [--text-en T] [--topic T] [--channel C …] [--language L …]
                     [--source S] [--poll KEY] [--at ВРЕМЯ] [--title T] [--link LABEL=URL …]
                     [--media KIND=URL …] [--dry-run] [--yes]
    broadcast list | status ID | watch ID | pause ID | resume ID | cancel ID | preview ID

``create`` prints how many residents the audience is, then asks before it stores anything
(«Будет отправлено 1 234 жителям. Создать рассылку? [д/Н]»); ``--yes`` answers for a script,
and without it a command whose input is not a terminal refuses rather than guess. ``--dry-run``
stops after the count and a preview. A topic or poll that names nothing is an error, not an
empty audience. The running bot picks a new broadcast up within ``broadcasts.idle_seconds``;
the CLI itself never sends, so ``watch`` says when no bot runs (``bot.running``) instead of
watching a bar that cannot move.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from admin.titles import BROADCAST_STATUS_TITLES, CHANNEL_TITLES
from bot.cli_values import UnknownValue, known, number, resident_languages, town_time
from bot.config import Settings
from bot.core.plugins import Command, Feature, OpenDatabase
from bot.plurals import counted, grouped
from bot.progress import CELLS, Bar, line
from bot.running import bot_running
from broadcasts.audience import Audience
from broadcasts.outbox import (
    BroadcastProblem,
    BroadcastSpec,
    Progress,
    cancel,
    create,
    pause,
    progress,
    resume,
)
from broadcasts.templates import TemplateProblem, preview, validate
from storage.ports.content import ContentKind
from storage.statuses import FINISHED, BroadcastStatus

MEDIA_KINDS = ("photo", "video", "document")
RESIDENTS_TO = ("жителю", "жителям", "жителям")
RECIPIENTS = ("получатель", "получателя", "получателей")
MESSAGES = ("сообщение", "сообщения", "сообщений")
YES = ("д", "да", "y", "yes")
ACTIONS = {"pause": "поставить на паузу", "resume": "возобновить", "cancel": "отменить"}


def add_parser(commands) -> None:
    from channels import CHANNELS

    parser = commands.add_parser("broadcast", help="рассылки жителям: создать, следить, управлять")
    actions = parser.add_subparsers(dest="broadcast_action", required=True, metavar="ДЕЙСТВИЕ")
    made = actions.add_parser("create", help="выбрать получателей и текст; сначала показывает их число")
    made.add_argument("--text-ru", required=True, metavar="ТЕКСТ", help="текст по-русски (шаблон jinja2: {{ name }})")
    made.add_argument("--text-en", metavar="ТЕКСТ",
                      help="текст по-английски; без него жители с английским получат русский")
    made.add_argument("--title", default="", metavar="НАЗВАНИЕ",
                      help="название для сотрудников (по умолчанию начало текста)")
    made.add_argument("--topic", metavar="ТЕМА", help="только подписчикам этой темы (ключ из subscriptions.topics)")
    made.add_argument("--channel", action="append", default=[], choices=tuple(package.name for package in CHANNELS),
                      help="только в этом канале (можно несколько раз)")
    made.add_argument("--language", action="append", default=[], choices=resident_languages(),
                      help="только жителям с этим языком (можно несколько раз)")
    made.add_argument("--source", metavar="ПЛАКАТ", help="только жителям, пришедшим с этого плаката")
    made.add_argument("--poll", metavar="КЛЮЧ", help="только голосовавшим в голосовании с этим ключом")
    made.add_argument("--link", action="append", default=[], metavar="НАДПИСЬ=URL",
                      help="кнопка-ссылка под текстом (можно несколько), например 'Смотреть=https://vk.com/video-1_2'")
    made.add_argument("--media", action="append", default=[], metavar="ВИД=URL",
                      help="фото, видео или документ (photo, video, document; можно несколько),"
                           " например video=https://…")
    made.add_argument("--at", type=town_time, metavar="ВРЕМЯ",
                      help="отправить позже, по времени города (project.time_zone): «25.06.2026 08:00»,"
                           " 2026-06-25T08:00 или со смещением 2026-06-25T08:00+09:00")
    made.add_argument("--dry-run", action="store_true", help="только показать число получателей и пример")
    made.add_argument("--yes", action="store_true", help="создать без вопроса (для скриптов)")
    actions.add_parser("list", help="последние рассылки и как они идут")
    for name, text in (("status", "ход и итоги рассылки"), ("watch", "следить за отправкой до конца"),
                       ("pause", "приостановить отправку"), ("resume", "продолжить приостановленную"),
                       ("cancel", "остановить совсем: неотправленное пропускается"),
                       ("preview", "как рассылку увидят в каждом канале")):
        action = actions.add_parser(name, help=text)
        action.add_argument("broadcast_id", type=number, metavar="НОМЕР", help="номер рассылки")


def run(settings: Settings, arguments: argparse.Namespace, open_database: OpenDatabase,
        out: TextIO = sys.stdout, answers: TextIO = sys.stdin) -> int:
    try:
        return asyncio.run(_run(settings, arguments, open_database, out, answers))
    except (TemplateProblem, BroadcastProblem) as problem:
        print(f"Рассылка не создана, ничего не изменено:\n{problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _run(settings: Settings, arguments: argparse.Namespace, open_database: OpenDatabase, out: TextIO,
               answers: TextIO) -> int:
    db = await open_database()
    try:
        action = arguments.broadcast_action
        if action == "create":
            return await _create(db, settings, arguments, out, answers)
        if action == "list":
            return await _list(db, out)
        broadcast_id = arguments.broadcast_id
        if action == "status":
            return await _status(db, settings, broadcast_id, out)
        if action == "watch":
            return await _watch(db, settings, broadcast_id, out)
        if action == "preview":
            return await _preview(db, settings, broadcast_id, out)
        if action == "cancel":
            skipped = await cancel(db, broadcast_id)
            if skipped is None:
                return _refuse(broadcast_id, action)
            print(f"Рассылка № {broadcast_id} отменена; не отправлено и пропущено: {grouped(skipped)}", file=out)
            return 0
        changed = await (pause(db, broadcast_id) if action == "pause" else resume(db, broadcast_id))
        if not changed:
            return _refuse(broadcast_id, action)
        shown = await progress(db, broadcast_id)
        print(f"Рассылка № {broadcast_id}: {_status_title(shown.status if shown else '')}", file=out)
        return 0
    finally:
        await db.close()


def _status_title(status: str) -> str:
    return BROADCAST_STATUS_TITLES.get(status, status)


def _refuse(broadcast_id: int, action: str) -> int:
    print(f"Рассылку № {broadcast_id} нельзя {ACTIONS[action]}: её нет или она не в том состоянии;"
          " ничего не изменено", file=sys.stderr)
    return 2


async def _check_audience(db, settings: Settings, arguments: argparse.Namespace) -> None:
    """A topic, poster or poll that names nothing would make an empty broadcast: an error instead."""
    topics = {topic.key: topic.title_in("ru") for topic in settings.subscriptions.topics}
    known("--topic", arguments.topic, "нет такой темы подписки", topics)
    if arguments.source:
        sources = [reach.key for reach in await db.reader.statistics.reach_by_source() if reach.key]
        known("--source", arguments.source, "ни один житель не пришёл с этого плаката", sources)
    if arguments.poll:
        polls = [json.loads(definition)["key"] for definition in await db.reader.content.all(ContentKind.POLLS)]
        known("--poll", arguments.poll, "нет такого голосования", polls)


async def _create(db, settings: Settings, arguments: argparse.Namespace, out: TextIO, answers: TextIO) -> int:
    texts = {"ru": arguments.text_ru}
    if arguments.text_en:
        texts["en"] = arguments.text_en
    validate(texts)
    send_at = settings.project.clock.typed(arguments.at) if arguments.at else None
    buttons = [[{"label": label, "url": url}] for label, url in (_pair(v, "--link") for v in arguments.link)]
    media = [{"kind": kind, "url": url} for kind, url in (_pair(v, "--media") for v in arguments.media)]
    await _check_audience(db, settings, arguments)
    audience = Audience(topic=arguments.topic, channels=arguments.channel, languages=arguments.language,
                        source=arguments.source, poll=arguments.poll)
    by_channel = await db.reader.broadcasts.count_by_channel(audience)
    total = sum(by_channel.values())
    print(f"Кому: {audience.describe()}", file=out)
    print(f"Получателей: {grouped(total)}" + (" (" + ", ".join(f"{CHANNEL_TITLES.get(c, c)} {grouped(n)}"
                                                               for c, n in by_channel.items()) + ")"
                                               if by_channel else ""), file=out, flush=True)
    if arguments.dry_run:
        _print_preview(texts, buttons, media, settings, out)
        print("Пробный запуск: рассылка не создана", file=out)
        return 0
    when = f" {settings.project.clock.stated(send_at)}" if send_at is not None else ""
    question = f"Будет отправлено{when} {counted(total, RESIDENTS_TO)}. Создать рассылку? [д/Н] "
    if not arguments.yes:
        if not answers.isatty():
            print("Рассылка не создана: подтвердите её в терминале или добавьте --yes (для скриптов);"
                  " ничего не изменено", file=sys.stderr)
            return 2
        print(question, end="", file=out, flush=True)
        if answers.readline().strip().lower() not in YES:
            print("Рассылка не создана", file=out)
            return 1
    title = arguments.title or " ".join(arguments.text_ru.split())[:60]
    spec = BroadcastSpec(title=title, texts=texts, audience=audience, send_at=send_at, topic=arguments.topic,
                         buttons=buttons, media=media)
    broadcast_id, recipients = await create(db, spec, created_by="cli")
    state = (await progress(db, broadcast_id)).status
    print(f"Рассылка № {broadcast_id} создана: {counted(recipients, RECIPIENTS)}, {_status_title(state)}{when}",
          file=out)
    return 0


def _pair(value: str, option: str) -> tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or not name.strip() or not url.startswith(("https://", "http://")):
        raise BroadcastProblem(f"{option} «{value}»: пишите так: НАДПИСЬ=https://…")
    if option == "--media" and name not in MEDIA_KINDS:
        raise UnknownValue(option, name, "нет такого вида вложения", MEDIA_KINDS)
    return name.strip(), url


def _line(broadcast_id: int, title: str, shown: Progress) -> str:
    return (f"{broadcast_id:>5}  {_status_title(shown.status):<14}  отправлено {shown.sent}/{shown.total}"
            f"  ошибок {shown.failed}  неизвестно {shown.unknown}  в очереди {shown.pending + shown.sending}"
            f"  пропущено {shown.skipped}  {title}")


async def _list(db, out: TextIO) -> int:
    rows = await db.reader.broadcasts.recent(20)
    if not rows:
        print("Рассылок пока нет", file=out)
    for row in rows:
        print(_line(row.id, row.title, await progress(db, row.id)), file=out)
    return 0


async def _status(db, settings: Settings, broadcast_id: int, out: TextIO) -> int:
    row = await db.reader.broadcasts.get(broadcast_id)
    if row is None:
        print(f"Рассылки № {broadcast_id} нет", file=sys.stderr)
        return 2
    local = settings.project.clock
    shown = await progress(db, broadcast_id)
    print(f"Рассылка № {row.id}: {row.title}", file=out)
    status = _status_title(shown.status)
    if row.status == BroadcastStatus.SCHEDULED:
        status += f" (отправка {local.text(row.send_at)}, {local.label(row.send_at)})"
    lines = [("состояние", status), ("кому", Audience(**row.audience).describe()), ("получателей", shown.total),
             ("отправлено", shown.sent), ("ошибок", shown.failed), ("неизвестно", shown.unknown),
             ("в очереди", shown.pending), ("отправляется", shown.sending), ("пропущено", shown.skipped)]
    lines += [(label, local.stated(getattr(row, name)))
              for label, name in (("создана", "created_at"), ("начата", "started_at"), ("закончена", "finished_at"))
              if getattr(row, name)]
    for label, value in lines:
        print(f"  {label + ':':<14}{value}", file=out)
    return 0


WATCH = (f"[{CELLS}] {{percent:>3}}%  отправлено {{sent}}  ошибок {{failed}}  неизвестно {{unknown}}"
         "  в очереди {queued}  {status}")


def _meter(shown: Progress) -> tuple[int, int, dict[str, object]]:
    """(done, of, the fields beside the bar); a broadcast to no one is all done."""
    done, total = (shown.finished, shown.total) if shown.total else (1, 1)
    return done, total, {"percent": 100 * done // total, "sent": shown.sent, "failed": shown.failed,
                         "unknown": shown.unknown, "queued": shown.pending + shown.sending,
                         "status": _status_title(shown.status)}  # percent rounded down: 100 only at the end


def bar(shown: Progress) -> str:
    """``[#########-----]  61%  отправлено 610  ошибок 2  неизвестно 0  в очереди 388  идёт отправка``"""
    done, total, fields = _meter(shown)
    return line(done, total, WATCH, **fields)


async def _watch(db, settings: Settings, broadcast_id: int, out: TextIO, every: float = 0.5) -> int:
    """The bar until the broadcast ends; or, when no bot runs to send it, says so and stops. On a
    terminal the bar is redrawn in place; elsewhere (a pipe, a log) each change is a line of its own."""
    shown = await progress(db, broadcast_id)
    if shown is None:
        print(f"Рассылки № {broadcast_id} нет", file=sys.stderr)
        return 2
    done, total, _ = _meter(shown)
    live = Bar(initial=done, total=total, file=out, mininterval=0, bar_format=WATCH,
               fields=lambda meter: _meter(shown)[2], disable=not out.isatty())
    last = ""
    with live:
        while True:
            if live.disable:
                if (text := bar(shown)) != last:
                    print(text, file=out, flush=True)
                    last = text
            else:
                live.n, live.total, _ = _meter(shown)
                live.refresh()
            if shown.status in FINISHED:
                break
            if not bot_running(settings.storage.path):
                live.close()  # the bar's line ends before the message
                print(f"Бот не запущен на базе {settings.storage.path}: рассылку № {broadcast_id} сейчас никто"
                      " не отправляет. Запустите его (python -m bot run) — отправка продолжится с того же места.",
                      file=sys.stderr)
                return 1
            await asyncio.sleep(every)
            shown = await progress(db, broadcast_id)
    print(f"Рассылка № {broadcast_id} {_status_title(shown.status)}: отправлено {shown.sent}, ошибок {shown.failed},"
          f" неизвестно {shown.unknown}, пропущено {shown.skipped} из {shown.total}", file=out)
    return 0


def _capabilities() -> dict:
    """Each channel's limits, from the adapter classes (no channel is started for a preview)."""
    from channels import CHANNELS

    found = {}
    for package in CHANNELS:
        try:
            found[package.name] = package.channel_class().capabilities
        except ImportError:
            continue
    return found


def _print_preview(texts: dict[str, str], buttons: list, media: list, settings: Settings, out: TextIO) -> None:
    capabilities = _capabilities()
    for language in texts:
        shown = preview(texts, capabilities, buttons=buttons, media=media, language=language,
                        default=settings.languages.default)
        for channel, messages in shown.items():
            print(f"--- {channel}, {language}: {counted(len(messages), MESSAGES)}", file=out)
            for message in messages:
                print(message.text, file=out)
                for row in message.buttons:
                    print("  " + "  ".join(f"[{b.label}]" for b in row), file=out)
                for item in message.media:
                    print(f"  ({item.kind}: {item.url or item.file_key})", file=out)


async def _preview(db, settings: Settings, broadcast_id: int, out: TextIO) -> int:
    row = await db.reader.broadcasts.get(broadcast_id)
    if row is None:
        print(f"Рассылки № {broadcast_id} нет", file=sys.stderr)
        return 2
    _print_preview(row.texts, row.buttons, row.media, settings, out)
    return 0


FEATURE = Feature("broadcasts", commands=(Command("broadcast", add_parser, run),))
