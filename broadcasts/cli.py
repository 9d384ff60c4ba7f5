"""``python -m bot broadcast …``: make, watch and control broadcasts from the command line.

    broadcast create --text-ru T [--text-en T] [--topic T] [--channel C …] [--language L …]
                     [--source S] [--poll KEY] [--at ISO-TIME] [--title T] [--link LABEL=URL …]
                     [--media KIND=URL …] [--dry-run]
    broadcast list | status ID | watch ID | pause ID | resume ID | cancel ID | preview ID

``create`` prints how many residents the audience is before it stores anything; ``--dry-run``
stops there, after a preview. The running bot picks a new broadcast up within
``broadcasts.idle_seconds``; the CLI itself never sends.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import TextIO

from bot.config import Settings
from bot.localtime import LocalTime
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

FINAL = ("done", "cancelled")
BAR = 30


def add_parser(commands) -> None:
    parser = commands.add_parser("broadcast", help="announcements to many residents: create, watch, control")
    actions = parser.add_subparsers(dest="broadcast_action", required=True)
    made = actions.add_parser("create", help="choose an audience and a text; prints the count first")
    made.add_argument("--text-ru", required=True, help="the Russian text (a jinja2 template: {{ name }})")
    made.add_argument("--text-en", help="the English text; residents in English get the Russian one without it")
    made.add_argument("--title", default="", help="a title for staff (default: the text's beginning)")
    made.add_argument("--topic", help="only subscribers of this topic")
    made.add_argument("--channel", action="append", default=[], help="only this channel (repeatable)")
    made.add_argument("--language", action="append", default=[], help="only this language (repeatable)")
    made.add_argument("--source", help="only residents who came from this poster")
    made.add_argument("--poll", help="only residents who voted in the poll with this key")
    made.add_argument("--link", action="append", default=[], metavar="LABEL=URL",
                      help="a link button under the text (repeatable), e.g. 'Смотреть=https://vk.com/video-1_2'")
    made.add_argument("--media", action="append", default=[], metavar="KIND=URL",
                      help="a photo, video or document to send with it (repeatable), e.g. video=https://…")
    made.add_argument("--at", help="send later, in the town's time (project.time_zone): \"25.06.2026 08:00\","
                                   " 2026-06-25T08:00, or with an offset 2026-06-25T08:00+09:00")
    made.add_argument("--dry-run", action="store_true", help="only print the count and a preview")
    actions.add_parser("list", help="recent broadcasts with their progress")
    for name, text in (("status", "progress and final statistics"), ("watch", "a live progress bar until done"),
                       ("pause", "stop sending; resume later"), ("resume", "go on with a paused broadcast"),
                       ("cancel", "stop for good: what is not sent is skipped"),
                       ("preview", "what residents see on each channel")):
        action = actions.add_parser(name, help=text)
        action.add_argument("broadcast_id", type=int)


def run(settings: Settings, arguments: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    try:
        return asyncio.run(_run(settings, arguments, out))
    except (TemplateProblem, BroadcastProblem) as problem:
        print(f"the broadcast was not created, nothing changed:\n{problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _run(settings: Settings, arguments: argparse.Namespace, out: TextIO) -> int:
    from storage.database import Database

    db = await Database.open(settings.storage.path, busy_timeout_ms=settings.storage.busy_timeout_ms,
                             synchronous=settings.storage.synchronous)
    try:
        action = arguments.broadcast_action
        if action == "create":
            return await _create(db, settings, arguments, out)
        if action == "list":
            return await _list(db, out)
        broadcast_id = arguments.broadcast_id
        if action == "status":
            return await _status(db, LocalTime(settings.project.time_zone), broadcast_id, out)
        if action == "watch":
            return await _watch(db, broadcast_id, out)
        if action == "preview":
            return await _preview(db, settings, broadcast_id, out)
        if action == "cancel":
            skipped = await cancel(db, broadcast_id)
            if skipped is None:
                return _refuse(db, broadcast_id, "cancelled")
            print(f"broadcast {broadcast_id}: cancelled; {skipped} not sent", file=out)
            return 0
        changed = await (pause(db, broadcast_id) if action == "pause" else resume(db, broadcast_id))
        if not changed:
            return _refuse(db, broadcast_id, action + "d")
        shown = await progress(db, broadcast_id)
        print(f"broadcast {broadcast_id}: {shown.status if shown else action + 'd'}", file=out)
        return 0
    finally:
        await db.close()


def _refuse(db, broadcast_id: int, what: str) -> int:
    print(f"broadcast {broadcast_id} cannot be {what} (no such broadcast, or not in a state for it);"
          " nothing changed", file=sys.stderr)
    return 2


async def _create(db, settings: Settings, arguments: argparse.Namespace, out: TextIO) -> int:
    texts = {"ru": arguments.text_ru}
    if arguments.text_en:
        texts["en"] = arguments.text_en
    validate(texts)
    clock = LocalTime(settings.project.time_zone)
    send_at = None
    if arguments.at:
        try:
            send_at = clock.typed(arguments.at)
        except ValueError as error:
            raise BroadcastProblem(f"--at {arguments.at!r}: not a time, e.g. \"25.06.2026 08:00\" (the town's time)"
                                   " or 2026-06-25T08:00+09:00") from error
    buttons = [[{"label": label, "url": url}] for label, url in (_pair(v, "--link") for v in arguments.link)]
    media = [{"kind": kind, "url": url} for kind, url in (_pair(v, "--media") for v in arguments.media)]
    audience = Audience(topic=arguments.topic, channels=arguments.channel, languages=arguments.language,
                        source=arguments.source, poll=arguments.poll)
    topics = {topic.key for topic in settings.subscriptions.topics}
    if arguments.topic and arguments.topic not in topics:
        print(f"note: {arguments.topic!r} is not a topic residents can subscribe to"
              f" (subscriptions.topics: {', '.join(sorted(topics))})", file=out)
    by_channel = await db.reader.broadcasts.count_by_channel(audience)
    total = sum(by_channel.values())
    print(f"audience: {audience.describe()}", file=out)
    print(f"recipients: {total}" + (" (" + ", ".join(f"{c} {n}" for c, n in by_channel.items()) + ")"
                                    if by_channel else ""), file=out, flush=True)
    if arguments.dry_run:
        _print_preview(texts, buttons, media, settings, out)
        print("dry run: nothing was created", file=out)
        return 0
    title = arguments.title or " ".join(arguments.text_ru.split())[:60]
    spec = BroadcastSpec(title=title, texts=texts, audience=audience, send_at=send_at, topic=arguments.topic,
                         buttons=buttons, media=media)
    broadcast_id, recipients = await create(db, spec, created_by="cli")
    state = (await progress(db, broadcast_id)).status
    when = f", at {local(clock, send_at)}" if state == "scheduled" else ""
    print(f"broadcast {broadcast_id} created: {recipients} deliveries, {state}{when}", file=out)
    return 0


def _pair(value: str, option: str) -> tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or not name.strip() or not url.startswith(("https://", "http://")):
        raise BroadcastProblem(f"{option} {value!r}: give it as NAME=https://…")
    if option == "--media" and name not in ("photo", "video", "document"):
        raise BroadcastProblem(f"{option} {value!r}: the kind is photo, video or document")
    return name.strip(), url


def _line(broadcast_id: int, title: str, shown: Progress) -> str:
    return (f"{broadcast_id:>5}  {shown.status:<9}  sent {shown.sent}/{shown.total}  failed {shown.failed}"
            f"  unknown {shown.unknown}  pending {shown.pending + shown.sending}  skipped {shown.skipped}  {title}")


async def _list(db, out: TextIO) -> int:
    rows = await db.reader.broadcasts.recent(20)
    if not rows:
        print("no broadcasts yet", file=out)
    for row in rows:
        print(_line(row.id, row.title, await progress(db, row.id)), file=out)
    return 0


def local(clock: LocalTime, stamp: str | datetime) -> str:
    """A stored moment as the town's wall time with its offset: «25.06.2026 08:00 (UTC+9)»."""
    moment = clock.at(stamp)
    return f"{clock.text(moment)} ({clock.label(moment)})"


async def _status(db, clock: LocalTime, broadcast_id: int, out: TextIO) -> int:
    row = await db.reader.broadcasts.get(broadcast_id)
    if row is None:
        print(f"there is no broadcast {broadcast_id}", file=sys.stderr)
        return 2
    shown = await progress(db, broadcast_id)
    print(f"broadcast {row.id}: {row.title}", file=out)
    print(f"  status:     {shown.status}" + (f" (send at {local(clock, row.send_at)})" if row.status == "scheduled" else ""), file=out)
    print(f"  audience:   {Audience(**row.audience).describe()}", file=out)
    print(f"  recipients: {shown.total}", file=out)
    for name in ("sent", "failed", "unknown", "pending", "sending", "skipped"):
        print(f"  {name + ':':<11} {getattr(shown, name)}", file=out)
    for name in ("created_at", "started_at", "finished_at"):
        if getattr(row, name):
            print(f"  {name.replace('_at', '') + ':':<11} {local(clock, getattr(row, name))}", file=out)
    return 0


def bar(shown: Progress) -> str:
    """``[#########-----]  61%  sent 610  failed 2  unknown 0  pending 388  sending``"""
    done = shown.finished
    filled = BAR * done // shown.total if shown.total else BAR
    percent = 100 * done // shown.total if shown.total else 100
    return (f"[{'#' * filled}{'-' * (BAR - filled)}] {percent:>3}%  sent {shown.sent}  failed {shown.failed}"
            f"  unknown {shown.unknown}  pending {shown.pending + shown.sending}  {shown.status}")


async def _watch(db, broadcast_id: int, out: TextIO, every: float = 0.5) -> int:
    shown = await progress(db, broadcast_id)
    if shown is None:
        print(f"there is no broadcast {broadcast_id}", file=sys.stderr)
        return 2
    live = out.isatty()
    last = ""
    while True:
        line = bar(shown)
        if line != last:
            print(("\r" + line) if live else line, end="" if live else "\n", file=out, flush=True)
            last = line
        if shown.status in FINAL:
            break
        await asyncio.sleep(every)
        shown = await progress(db, broadcast_id)
    if live:
        print(file=out)
    print(f"broadcast {broadcast_id} {shown.status}: {shown.sent} sent, {shown.failed} failed,"
          f" {shown.unknown} unknown, {shown.skipped} skipped of {shown.total}", file=out)
    return 0


def _capabilities() -> dict:
    """Each channel's limits, from the adapter classes (no channel is started for a preview)."""
    import importlib

    from channels import REGISTRY

    found = {}
    for name, path in REGISTRY.items():
        module_name, _, class_name = path.partition(":")
        try:
            found[name] = getattr(importlib.import_module(module_name), class_name).capabilities
        except ImportError:
            continue
    return found


def _print_preview(texts: dict[str, str], buttons: list, media: list, settings: Settings, out: TextIO) -> None:
    capabilities = _capabilities()
    for language in texts:
        shown = preview(texts, capabilities, buttons=buttons, media=media, language=language,
                        default=settings.languages.default)
        for channel, messages in shown.items():
            print(f"--- {channel}, {language}: {len(messages)} message(s)", file=out)
            for message in messages:
                print(message.text, file=out)
                for row in message.buttons:
                    print("  " + "  ".join(f"[{b.label}]" for b in row), file=out)
                for item in message.media:
                    print(f"  ({item.kind}: {item.url or item.file_key})", file=out)


async def _preview(db, settings: Settings, broadcast_id: int, out: TextIO) -> int:
    row = await db.reader.broadcasts.get(broadcast_id)
    if row is None:
        print(f"there is no broadcast {broadcast_id}", file=sys.stderr)
        return 2
    _print_preview(row.texts, row.buttons, row.media, settings, out)
    return 0
