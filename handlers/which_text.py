"""A text typed while a correction is awaited and another flow waits for text: ask which it is.

    moderators ask about П-17 (question + "✏️ Исправить П-17"); the author is busy elsewhere
    at a step that takes free text ─text a correction could be─▶ correction:which
        ─"Исправление П-17"─▶ П-17 corrected ─▶ back to the step, its prompt again
        ─"Новая идея" (the step's own label)─▶ the text goes to the step, as if typed there
        ─cancel─▶ back to the step, the text dropped
    several open questions: one button for each proposal

The steps asked about are those where a text would be taken as that flow's own input and could
just as well be the answer: a new proposal's text and its place typed as an address, a survey's
free-text question, a contest work's text. Elsewhere a text is not taken (buttons, numbers,
photos): it is refused with the step's prompt, and the notice's "Исправить" button still works.

The text waits in the conversation state beside the interrupted flow's draft, which stays as it
was; nothing else is stored until the resident chooses (and they consented: they have a
proposal). Each question gets a fresh id on its buttons, so a button of an earlier one changes
nothing.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.core.events import Kind
from bot.core.filters import button, kind, state_is
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context, Router
from handlers import contests, corrections, proposals, surveys
from handlers.keyboards import back_cancel
from storage.statuses import QuestionType

router = Router("which_text")

WHICH = "correction:which"
NAMESPACE = "which"  # which:<question id>:<proposal id> or which:<question id>:flow
FLOW = "flow"
KEPT = "which"  # the key of the kept text in the state's data, beside the interrupted draft
QUOTED = 200  # characters of the kept text shown back: enough to recognise it


@dataclass(frozen=True)
class TextStep:
    """A step that takes free text: its handler, the label of the button that gives the text to
    it, what the resident is doing there (both locale keys), and whether it takes this text now."""

    takes: Callable[[Context], Awaitable[None]]
    label: str
    doing: str
    waits_for: Callable[[Context, str], bool] = lambda ctx, text: True


STEPS = {
    proposals.TEXT: TextStep(proposals.got_text, "moderation.which_proposal", "moderation.which_doing_proposal"),
    proposals.DRAFT: TextStep(proposals.got_address, "moderation.which_proposal", "moderation.which_doing_proposal",
                                 lambda ctx, text: not proposals.COORDINATES.match(text)
                                 and not proposals.names_the_place_button(ctx, text)),
    surveys.QUESTION: TextStep(surveys.typed, "moderation.which_survey", "moderation.which_doing_survey",
                               lambda ctx, text: ctx.data.get("question_type") == QuestionType.TEXT),
    contests.TEXT: TextStep(contests.got_text, "moderation.which_contest", "moderation.which_doing_contest"),
}


def ambiguous(ctx: Context) -> bool:
    """A text at a step of ``STEPS`` that the step would take and that a correction could be."""
    text = ctx.event.text
    return corrections.could_be_a_correction(ctx, text) and STEPS[ctx.state].waits_for(ctx, text)


@router.on(state_is(*STEPS), kind(Kind.TEXT), ambiguous)
async def text_at_a_step(ctx: Context) -> None:
    if ctx.resident.awaits_correction is False or not await ctx.db.moderation.open_questions_of(ctx.resident.id):
        await STEPS[ctx.state].takes(ctx)  # nothing awaited: the step's own input, as always
        return
    ctx.data[KEPT] = {"text": ctx.event.text.strip(), "step": ctx.state, "id": secrets.token_hex(4)}
    ctx.goto(WHICH)


@router.prompt(WHICH)
async def ask(ctx: Context) -> None:
    kept = ctx.data.get(KEPT)
    if not isinstance(kept, dict) or kept.get("step") not in STEPS:
        ctx.goto("", clear=True)  # a state damaged by hand: the menu rather than a guess
        await ctx.finish()
        return
    step, question = STEPS[kept["step"]], kept["id"]
    waiting = await ctx.db.moderation.open_questions_of(ctx.resident.id)
    receipts = [proposals.receipt(ctx, proposal_id) for proposal_id in waiting]
    quoted = kept["text"] if len(kept["text"]) <= QUOTED else kept["text"][:QUOTED - 1] + "…"
    text = (ctx.t("moderation.which_prompt", receipts=", ".join(receipts), doing=ctx.t(step.doing), text=quoted)
            if receipts else ctx.t("moderation.which_prompt_none", text=quoted))
    rows = [[Button(label=ctx.t("moderation.which_correction", receipt=receipt),
                    payload=encode(NAMESPACE, question, proposal_id))]
            for receipt, proposal_id in zip(receipts, waiting)]
    rows.append([Button(label=ctx.t(step.label), payload=encode(NAMESPACE, question, FLOW))])
    ctx.say(text, [*rows, back_cancel(ctx, back=False)])


def this_question(ctx: Context) -> bool:
    """A press on a button of the question being asked now (not of an earlier one)."""
    kept = ctx.data.get(KEPT)
    return isinstance(kept, dict) and ctx.payload.arg(0) == kept.get("id") and kept.get("step") in STEPS


@router.on(state_is(WHICH), button(NAMESPACE), this_question)
async def chose(ctx: Context, payload) -> None:
    kept = ctx.data.pop(KEPT)
    if payload.arg(1) == FLOW:
        # Back at the step, quietly: the step answers the text itself, as if it had been typed there.
        ctx.resident.state = kept["step"]
        ctx.event = ctx.event.model_copy(update={"kind": Kind.TEXT, "text": kept["text"], "payload": ""})
        await STEPS[kept["step"]].takes(ctx)
        return
    proposal_id = int(payload.arg(1)) if payload.arg(1).isdigit() else 0
    if await corrections.take(ctx, proposal_id, kept["text"]):
        ctx.goto(kept["step"])
        return
    if await ctx.db.moderation.open_questions_of(ctx.resident.id):
        ctx.data[KEPT] = {**kept, "id": secrets.token_hex(4)}  # still kept: ask again with what is open
        ctx.goto(WHICH)
    else:
        ctx.goto(kept["step"])


@router.on(state_is(WHICH), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    kept = ctx.data.pop(KEPT, None)
    ctx.say(ctx.t("moderation.which_cancelled"))
    if isinstance(kept, dict) and kept.get("step") in STEPS:
        ctx.goto(kept["step"])  # where they were, the draft as it was
    else:
        ctx.goto("", clear=True)
