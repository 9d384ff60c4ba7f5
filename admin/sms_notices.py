"""SMS to the authors of proposals an operator entered: a receipt, then each change of status.

Such an author has no chat to write to; the number they gave, with their consent, is how they
hear back. An SMS leaves only once the change it tells of is committed (one attempt: bot/sms.py
says why), and how it went is written in the proposal's history — without the number or the
text, which are personal data — so a moderator sees when the author must be phoned instead.
Without an SMS provider (``sms.provider``) nothing is sent, and operator entry says so.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from admin.app import Panel
from bot.phones import can_receive_sms
from bot.sms import SmsError
from storage.statuses import ProposalEventKind

log = logging.getLogger(__name__)

EVENT = ProposalEventKind.SMS  # the history's kind for an SMS to the author
FAILURES = {"bad_number": "номер не принимает SMS", "failed": "провайдер не принял SMS",
            "unknown": "провайдер не ответил вовремя, SMS могло не дойти"}


@dataclass(frozen=True)
class Sms:
    proposal_id: int
    phone: str    # E.164
    text: str
    about: str    # what it told, for the history: «о приёме», «статус: принято в проект»


async def send(panel: Panel, messages: list[Sms], actor: str) -> int:
    """Send each SMS in turn and write how it went in its proposal's history; how many were sent.
    Call it after the change the messages tell of is committed."""
    if panel.sms is None or not messages:
        return 0
    outcomes = []
    for sms in messages:
        outcomes.append((sms, await _send_one(panel, sms)))
    async with panel.db.transaction() as tx:
        for sms, failure in outcomes:
            result = f"отправлено {sms.about}" if failure is None else f"не отправлено {sms.about}: {failure}"
            await tx.moderation.event(sms.proposal_id, actor, EVENT, result)
    return sum(failure is None for _, failure in outcomes)


async def _send_one(panel: Panel, sms: Sms) -> str | None:
    """None when sent, or why not (in Russian, for the history)."""
    if not can_receive_sms(sms.phone):
        return "номер не мобильный"
    try:
        await panel.sms.send(sms.phone, sms.text)
    except SmsError as error:
        # The number and the text stay out of the log: a log outlives an erasure.
        log.warning("SMS автору предложения %s не отправлено через %s (%s): %s", sms.proposal_id,
                    panel.sms.settings.provider, error.reason, error.detail)
        return FAILURES.get(error.reason, error.reason)
    return None
