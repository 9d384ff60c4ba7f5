"""What a moderation step does, in one transaction with what it tells the author.

Each function changes the proposal, writes its history and the audit log, and returns the
messages for the authors from inside ``dispatcher.notify``: so a status is never changed without
its notice being queued, nor a notice sent for a change that was rolled back. Messages go to the
author's own channel, in the author's language. Authors of proposals hidden as spam are not told
(that only teaches a spammer what gets through). Proposals entered by an operator have no chat
to write to: an author who left a number with their consent gets the status notice by SMS once
the change is committed (admin/sms_notices.py), where an SMS provider is configured; otherwise
the operator phones or writes to the person.
"""
from __future__ import annotations

from aiohttp import web

from admin import sms_notices
from admin.app import Panel
from admin.audit import record
from admin.roles import current_user
from bot.core.events import ResidentRef
from bot.core.payloads import encode
from bot.core.replies import Button, Reply
from storage.ports.moderation import CORRECTION_BUTTON, CORRECTION_STATE
from storage.ports.repositories import Repositories
from storage.statuses import ProposalEventKind, ProposalStatus

Messages = list[tuple[ResidentRef, Reply]]


def receipt(panel: Panel, proposal_id: int) -> str:
    return f"{panel.settings.proposals.receipt_prefix}{proposal_id}"


async def _author(tx: Repositories, panel: Panel, proposal_id: int) -> tuple[ResidentRef, str, int, str] | None:
    found = await tx.moderation.author(proposal_id)
    if found is None:
        return None
    resident_id, channel, external_id, language, state = found
    return (ResidentRef(channel=channel, external_id=external_id), panel.texts.resolve(language or panel.texts.default),
            resident_id, state)


async def change_status(panel: Panel, request: web.Request, proposal_ids: list[int], status: str, *,
                        reason: str = "", duplicate_of: int | None = None) -> int:
    """Set ``status`` on each proposal (the ones that already have it are left alone); return how
    many changed."""
    actor = current_user(request).username
    changed = 0
    texts: list[sms_notices.Sms] = []

    async def build(tx: Repositories) -> Messages:
        nonlocal changed
        texts.clear()
        messages: Messages = []
        for proposal_id in proposal_ids:
            old = await tx.moderation.set_status(proposal_id, status, actor, reason=reason, duplicate_of=duplicate_of)
            if old is None:
                continue
            changed += 1
            await record(tx, request, "proposal.status", receipt(panel, proposal_id),
                         {"from": old, "to": status, **({"reason": reason} if reason else {}),
                          **({"duplicate_of": duplicate_of} if duplicate_of else {})})
            if duplicate_of is not None:
                await tx.moderation.merge_photos(proposal_id, duplicate_of)
                await tx.supports.move(proposal_id, duplicate_of)  # its supporters support the idea it joins
                await tx.moderation.event(duplicate_of, actor, ProposalEventKind.MERGED, receipt(panel, proposal_id))
            if status == ProposalStatus.SPAM:
                continue
            author = await _author(tx, panel, proposal_id)
            if author is not None:
                ref, language, _, _ = author
                messages.append((ref, Reply(text=_status_text(panel, language, proposal_id, status, reason,
                                                              duplicate_of))))
            elif panel.sms is not None and (phone := await tx.moderation.phone_author(proposal_id)):
                language = panel.texts.default
                texts.append(sms_notices.Sms(proposal_id, phone, _status_text(
                    panel, language, proposal_id, status, reason, duplicate_of),
                    f"о статусе «{panel.texts.get(language, f'status.{status}')}»"))
        return messages

    await panel.dispatcher.notify(build)
    await sms_notices.send(panel, texts, actor)
    return changed


def _status_text(panel: Panel, language: str, proposal_id: int, status: str, reason: str,
                 duplicate_of: int | None) -> str:
    texts, number = panel.texts, receipt(panel, proposal_id)
    if duplicate_of is not None:
        return texts.get(language, "moderation.duplicate", receipt=number, target=receipt(panel, duplicate_of))
    title = texts.get(language, f"status.{status}")
    if reason:
        return texts.get(language, "moderation.status_changed_reason", receipt=number, status=title, reason=reason)
    return texts.get(language, "moderation.status_changed", receipt=number, status=title)


async def answer(panel: Panel, request: web.Request, proposal_id: int, text: str) -> bool:
    """Send the author an answer; False when there is no chat to send it to (it is still recorded)."""
    delivered = False

    async def build(tx: Repositories) -> Messages:
        nonlocal delivered
        await tx.moderation.event(proposal_id, current_user(request).username, ProposalEventKind.ANSWER, text)
        await record(tx, request, "proposal.answer", receipt(panel, proposal_id), {"length": len(text)})
        author = await _author(tx, panel, proposal_id)
        if author is None:
            return []
        ref, language, _, _ = author
        delivered = True
        return [(ref, Reply(text=panel.texts.get(language, "moderation.answer", receipt=receipt(panel, proposal_id),
                                                 text=text)))]

    await panel.dispatcher.notify(build)
    return delivered


async def ask_correction(panel: Panel, request: web.Request, proposal_id: int, question: str) -> bool:
    """Ask the author to correct the proposal; their next text (or the button) brings it back."""
    delivered = False

    async def build(tx: Repositories) -> Messages:
        nonlocal delivered
        await tx.moderation.ask_correction(proposal_id, question, current_user(request).username)
        await record(tx, request, "proposal.question", receipt(panel, proposal_id), {"length": len(question)})
        author = await _author(tx, panel, proposal_id)
        if author is None:
            return []
        ref, language, resident_id, _ = author
        await tx.moderation.await_correction(resident_id, proposal_id, CORRECTION_STATE)
        number = receipt(panel, proposal_id)
        fix = Button(label=panel.texts.get(language, "moderation.fix_button", receipt=number),
                     payload=encode(CORRECTION_BUTTON, proposal_id))
        delivered = True
        return [(ref, Reply(text=panel.texts.get(language, "moderation.question", receipt=number, question=question),
                            buttons=((fix,),)))]

    await panel.dispatcher.notify(build)
    return delivered
