"""``python -m bot contests …``: moderate contest works and send a contest's results, as the
panel's «Конкурсные работы» page does, through the same functions (handlers.contest_moderation).

    contests approve N               show work N to everyone and let it be voted for
    contests reject N --reason TEXT  never show it; the author is told the reason
    contests results KEY [--topic T] a broadcast of the results to a topic's subscribers

The author's notice is written to the outbox in the transaction of the decision. The CLI sends
nothing itself: a web chat author sees it at once; on a messenger it goes out when the bot
starts next (the panel, which runs inside the bot, sends it at once). The running bot's
broadcast senders find a results broadcast on their next idle look.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from bot.config import Settings
from bot.core.plugins import Command, Feature, OpenDatabase

DONE = {"approve": "одобрена", "reject": "отклонена"}


def add_parser(commands) -> None:
    from bot.cli_values import number

    contests = commands.add_parser("contests", help="модерация конкурсных работ; рассылка итогов конкурса")
    actions = contests.add_subparsers(dest="contest_action", required=True, metavar="ДЕЙСТВИЕ")
    approve = actions.add_parser("approve", help="показать работу всем и дать за неё голосовать")
    approve.add_argument("entry_id", type=number, metavar="НОМЕР", help="номер работы, который сообщили автору")
    reject = actions.add_parser("reject", help="не показывать работу; автору сообщат причину")
    reject.add_argument("entry_id", type=number, metavar="НОМЕР", help="номер работы, который сообщили автору")
    reject.add_argument("--reason", required=True, metavar="ПРИЧИНА", help="почему (автор её прочтёт)")
    results = actions.add_parser("results", help="разослать итоги конкурса подписчикам темы")
    results.add_argument("key", metavar="КЛЮЧ", help="ключ конкурса в файле содержания")
    results.add_argument("--topic", default="results", metavar="ТЕМА",
                         help="подписчикам этой темы (по умолчанию results)")


def run(settings: Settings, arguments: argparse.Namespace, open_database: OpenDatabase,
        out: TextIO = sys.stdout) -> int:
    return asyncio.run(_run(settings, arguments, open_database, out))


async def _run(settings: Settings, arguments: argparse.Namespace, open_database: OpenDatabase,
               out: TextIO) -> int:
    from bot.core.i18n import Texts
    from handlers import LOCALES

    texts = Texts.load(LOCALES, settings.languages.default)
    db = await open_database()
    try:
        if arguments.contest_action == "results":
            return await _results(db, settings, texts, arguments.key, arguments.topic, out)
        return await _decide(db, texts, arguments, out)
    finally:
        await db.close()


def _pulls(channel: str) -> bool:
    """Whether the channel's clients fetch their replies themselves (the web chat): then a row in
    the outbox is delivered as soon as it is written."""
    from channels import CHANNELS

    package = next((package for package in CHANNELS if package.name == channel), None)
    try:
        return package is not None and package.channel_class().capabilities.pull_delivery
    except (ImportError, AttributeError):
        return False


async def _decide(db, texts, arguments: argparse.Namespace, out: TextIO) -> int:
    from handlers.contest_moderation import ReasonRequired, decide
    from storage.statuses import WorkStatus

    status = WorkStatus.APPROVED if arguments.contest_action == "approve" else WorkStatus.REJECTED
    try:
        async with db.transaction() as tx:
            decision = await decide(tx, texts, arguments.entry_id, status,
                                    reason=getattr(arguments, "reason", ""), actor="cli")
            if decision is not None:
                await tx.outbox.add_many([(ref.channel, ref.external_id, None, reply.model_dump_json(),
                                           _pulls(ref.channel)) for ref, reply in decision.messages])
    except ReasonRequired:
        print("Работа не отклонена: укажите причину (--reason), автор её увидит.", file=sys.stderr)
        return 2
    if decision is None:
        work = await db.reader.contests.entry(arguments.entry_id)
        if work is None:
            print(f"Конкурсной работы № {arguments.entry_id} нет; ничего не изменено.", file=sys.stderr)
            return 2
        print(f"Работа № {arguments.entry_id} уже {DONE[arguments.contest_action]}; ничего не изменено.", file=out)
        return 0
    told = ("уведомление автору записано в очередь: в веб-чате он увидит его сразу, в мессенджер оно уйдёт"
            " при следующем запуске бота (из панели — сразу)") if decision.messages else \
        "автору написать некуда (он удалил свои данные или недоступен)"
    print(f"Работа № {arguments.entry_id} {DONE[arguments.contest_action]}; {told}.", file=out)
    return 0


async def _results(db, settings: Settings, texts, key: str, topic: str, out: TextIO) -> int:
    from broadcasts import outbox
    from handlers.contest_moderation import results_broadcast

    topics = [t.key for t in settings.subscriptions.topics]
    if topic not in topics:
        print(f"Нет темы подписки «{topic}»; есть: {', '.join(topics) or 'ни одной'}.", file=sys.stderr)
        return 2
    spec = await results_broadcast(db.reader, texts, key, topic)
    if spec is None:
        print(f"Нет конкурса «{key}»; ничего не создано.", file=sys.stderr)
        return 2
    broadcast_id, recipients = await outbox.create(db, spec, created_by="cli")
    async with db.transaction() as tx:
        await tx.contests.results_announced(key)  # the public page shows them from now on
    print(f"Рассылка № {broadcast_id} «{spec.title}» создана: получателей {recipients}"
          f" (подписчики темы «{topic}»). Ход отправки: python -m bot broadcast watch {broadcast_id}", file=out)
    return 0


FEATURE = Feature("contest moderation", commands=(Command("contests", add_parser, run),))
