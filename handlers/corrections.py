"""Corrections: a moderator asked the author to correct a proposal; the answer comes back into it.

    panel "needs correction" ─▶ question in the author's chat + button "✏️ Исправить П-17"
        author at the main menu: already in correction:text ─┐
        author elsewhere: presses the button ─▶ correction:text
    correction:text ─text─▶ proposal's text replaced, old text kept in its history ─▶ (menu)
                    ─cancel─▶ (menu), the question stays open (the button still works)

The panel puts the author into the step itself only when they are idle (admin/notices.py), so a
flow they are in the middle of is never cut short. When that flow waits for text and the author
types some, ``handlers.which_text`` asks whether it is the correction or the flow's input.
"""
from __future__ import annotations

from bot.core.events import Kind
from bot.core.filters import button, kind, state_is
from bot.core.routing import Context, Router
from handlers.idle import CORRECTION_WAIT
from handlers.keyboards import back_cancel
from storage.ports.moderation import CORRECTION_BUTTON

router = Router("corrections")

AWAITING = CORRECTION_WAIT
FIX = CORRECTION_BUTTON  # button payload fix:<proposal id>


def _receipt(ctx: Context, proposal_id: int) -> str:
    return f"{ctx.settings.proposals.receipt_prefix}{proposal_id}"


@router.on(button(FIX))
async def start(ctx: Context, payload) -> None:
    arg = payload.arg(0)
    proposal_id = int(arg) if arg.isdigit() else 0
    if proposal_id not in await ctx.db.moderation.open_questions_of(ctx.resident.id):
        ctx.say(ctx.t("moderation.correction_not_open"))
        ctx.goto("")
        return
    ctx.goto(AWAITING, clear=True)
    ctx.data["proposal"] = proposal_id


@router.prompt(AWAITING)
async def ask(ctx: Context) -> None:
    limits = ctx.settings.proposals
    ctx.say(ctx.t("moderation.correction_prompt", receipt=_receipt(ctx, ctx.data.get("proposal", 0)),
                  min=limits.text_min_length, max=limits.text_max_length), [back_cancel(ctx, back=False)])


@router.on(state_is(AWAITING), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    ctx.say(ctx.t("moderation.correction_cancelled"))
    ctx.goto("", clear=True)


@router.on(state_is(AWAITING), kind(Kind.TEXT))
async def corrected(ctx: Context) -> None:
    text = (ctx.event.text or "").strip()
    limits = ctx.settings.proposals
    if len(text) < limits.text_min_length:
        ctx.say(ctx.t("proposal.text_too_short", length=len(text), min=limits.text_min_length))
        return
    if len(text) > limits.text_max_length:
        ctx.say(ctx.t("proposal.text_too_long", length=len(text), max=limits.text_max_length))
        return
    await take(ctx, ctx.data.get("proposal", 0), text)
    ctx.goto("", clear=True)


def could_be_a_correction(ctx: Context, text: str) -> bool:
    """A text of a length the corrected text of a proposal may have."""
    limits = ctx.settings.proposals
    return limits.text_min_length <= len(text.strip()) <= limits.text_max_length


async def take(ctx: Context, proposal_id: int, text: str) -> bool:
    """The author's text replaces the proposal's, if its question is still open; tell them which
    happened. Also used when the text came while another flow waited for one (``which_text``)."""
    still_open = proposal_id in await ctx.db.moderation.open_questions_of(ctx.resident.id)
    if not still_open or not await ctx.db.moderation.correct(proposal_id, ctx.resident.id, text.strip()):
        ctx.say(ctx.t("moderation.correction_not_open"))
        return False
    ctx.say(ctx.t("moderation.correction_received", receipt=_receipt(ctx, proposal_id)))
    return True
