"""Quizzes: questions one by one, right or wrong with the explanation, a score, a leaderboard.

    (menu) ─quizzes─▶ list ─quiz:<key>─▶ question 1 ─qa:<key>:0:<option>─▶ question 2 … ─▶ score
                                            │  "menu": leave; quiz:<key> resumes        │
                                            └───────── at the same question             ▼
                                   leaderboard? ─qlb:<key>:yes─▶ top 10 ▶ (menu);  ─no─▶ (menu)

One attempt per resident per quiz: the UNIQUE (quiz, resident) of quiz_attempts. The attempt
row holds the score and the number of questions answered, written with each answer, so a
resident who leaves, or a restart, resumes at the very question. An answer button carries the
quiz key and the question's index: a button of another quiz or of an earlier question does not
match here and falls through to the fallback as stale; a forged option key is refused.
"""
from __future__ import annotations

from bot.core.content import text_in
from bot.core.filters import button, state_is
from bot.core.payloads import encode
from bot.core.plugins import Feature
from bot.core.replies import Button
from bot.core.routing import Context, Router
from handlers.content_items import load, show_open, utc_now, when
from handlers.idle import at_menu
from handlers.keyboards import to_menu
from handlers.quizzes_content import CONTENT, Quiz
from storage.ports.content import ContentKind
from storage.ports.quizzes import Attempt
from storage.ports.repositories import Repositories

router = Router("quizzes")

LIST, QUESTION, LEADERBOARD = "quizzes", "quiz:question", "quiz:leaderboard"


async def load_quiz(db: Repositories, key: str) -> tuple[int, Quiz] | None:
    return await load(db, ContentKind.QUIZZES, Quiz, key)


async def leave(ctx: Context) -> None:
    """Back to the menu from inside a prompt, where a plain ``goto`` would come too late."""
    ctx.goto("", clear=True)
    await ctx.finish()


def of_this_quiz(ctx: Context) -> bool:
    return ctx.payload.arg(0) == ctx.data.get("quiz")


def at_this_question(ctx: Context) -> bool:
    return of_this_quiz(ctx) and ctx.payload.arg(1) == str(ctx.data.get("question"))


# -- the list and opening a quiz -------------------------------------------------------------

@router.on(at_menu, button("menu", "quizzes"))
async def show_list(ctx: Context, payload) -> None:
    ctx.goto(LIST)


@router.prompt(LIST)
async def list_open(ctx: Context) -> None:
    await show_open(ctx, ContentKind.QUIZZES, Quiz, "quiz")


@router.on(state_is(LIST, ""), button("quiz"))
async def chose_quiz(ctx: Context, payload) -> None:
    await open_quiz(ctx, payload.arg(0))


async def open_quiz(ctx: Context, key: str) -> None:
    found = await load_quiz(ctx.db, key)
    if found is None:
        ctx.say(ctx.t("quizzes.unknown"))
        ctx.goto("", clear=True)
        return
    quiz_id, quiz = found
    title, now, total = text_in(quiz.title, ctx.language), utc_now(), len(quiz.questions)
    earlier = await ctx.db.quizzes.attempt(quiz_id, ctx.resident.id)
    if earlier is not None and earlier.finished:
        ctx.say(ctx.t("quizzes.already", title=title, score=earlier.score, total=total))
        await after_score(ctx, quiz_id, quiz, earlier)
        return
    if now < quiz.opens:
        ctx.say(ctx.t("quizzes.not_yet", title=title, date=when(ctx, quiz.opens)))
        ctx.goto("", clear=True)
        return
    if now >= quiz.closes:
        ctx.say(ctx.t("quizzes.closed", title=title))
        ctx.goto("", clear=True)
        return
    attempt = await ctx.db.quizzes.begin(quiz_id, ctx.resident.id)
    if attempt.answered:
        ctx.say(ctx.t("quizzes.resumed", title=title, number=attempt.answered + 1, total=total))
    else:
        ctx.say(ctx.t("quizzes.intro", title=title, total=total))
    ctx.resident.state_data = {"quiz": key, "question": attempt.answered}
    ctx.goto(QUESTION)


# -- questions -------------------------------------------------------------------------------

@router.prompt(QUESTION)
async def ask_question(ctx: Context) -> None:
    found = await load_quiz(ctx.db, ctx.data.get("quiz", ""))
    index = ctx.data.get("question", 0)
    if found is None or not 0 <= index < len(found[1].questions):
        await leave(ctx)
        return
    quiz = found[1]
    question = quiz.questions[index]
    rows = [[Button(label=text_in(o.title, ctx.language), payload=encode("qa", quiz.key, index, o.key))]
            for o in question.options]
    ctx.say(ctx.t("quizzes.question", title=text_in(quiz.title, ctx.language), number=index + 1,
                  total=len(quiz.questions), text=text_in(question.text, ctx.language)),
            [*rows, to_menu(ctx)])


@router.on(state_is(QUESTION), button("qa"), at_this_question)
async def answered(ctx: Context, payload) -> None:
    found = await load_quiz(ctx.db, payload.arg(0))
    index = ctx.data["question"]
    if found is None or index >= len(found[1].questions):
        ctx.goto("", clear=True)
        return
    quiz_id, quiz = found
    question = quiz.questions[index]
    chosen = next((o for o in question.options if o.key == payload.arg(2)), None)
    if chosen is None:
        ctx.say(ctx.t("quizzes.unknown_option"))
        ctx.goto(QUESTION)
        return
    if not quiz.is_open(utc_now()):
        ctx.say(ctx.t("quizzes.closed", title=text_in(quiz.title, ctx.language)))
        ctx.goto("", clear=True)
        return
    attempt = await ctx.db.quizzes.begin(quiz_id, ctx.resident.id)
    last = index + 1 == len(quiz.questions)
    correct = chosen.key == question.answer
    if not await ctx.db.quizzes.answer(attempt.id, index, correct, last):
        await open_quiz(ctx, quiz.key)  # the state and the attempt disagree: the attempt wins
        return
    right = next(o for o in question.options if o.key == question.answer)
    verdict = ctx.t("quizzes.right") if correct else ctx.t("quizzes.wrong", answer=text_in(right.title, ctx.language))
    explanation = text_in(question.explanation, ctx.language) if question.explanation else ""
    ctx.say(f"{verdict}\n{explanation}".strip())
    if not last:
        ctx.data["question"] = index + 1
        ctx.goto(QUESTION)
        return
    attempt = await ctx.db.quizzes.begin(quiz_id, ctx.resident.id)
    ctx.say(ctx.t("quizzes.score", score=attempt.score, total=len(quiz.questions)))
    await after_score(ctx, quiz_id, quiz, attempt)


# -- the leaderboard -------------------------------------------------------------------------

async def after_score(ctx: Context, quiz_id: int, quiz: Quiz, attempt: Attempt) -> None:
    """Offer the leaderboard to one who is not on it yet; show it to one who is."""
    if not quiz.leaderboard:
        ctx.goto("", clear=True)
    elif attempt.on_leaderboard:
        ctx.say(await leaderboard_text(ctx, quiz_id, quiz))
        ctx.goto("", clear=True)
    else:
        ctx.resident.state_data = {"quiz": quiz.key}
        ctx.goto(LEADERBOARD)


def leaderboard_name(ctx: Context) -> str:
    return ctx.resident.display_name.strip() or ctx.t("quizzes.anonymous", number=ctx.resident.id)


@router.prompt(LEADERBOARD)
async def ask_leaderboard(ctx: Context) -> None:
    key = ctx.data.get("quiz", "")
    ctx.say(ctx.t("quizzes.leaderboard_prompt", name=leaderboard_name(ctx)),
            [[Button(label=ctx.t("quizzes.leaderboard_yes"), payload=encode("qlb", key, "yes")),
              Button(label=ctx.t("quizzes.leaderboard_no"), payload=encode("qlb", key, "no"))]])


@router.on(state_is(LEADERBOARD), button("qlb"), of_this_quiz)
async def leaderboard_answer(ctx: Context, payload) -> None:
    found = await load_quiz(ctx.db, payload.arg(0))
    attempt = await ctx.db.quizzes.attempt(found[0], ctx.resident.id) if found else None
    if found is None or attempt is None or payload.arg(1) not in ("yes", "no"):
        ctx.say(ctx.t("quizzes.unknown_option"))
        ctx.goto(LEADERBOARD if found and attempt else "")
        return
    quiz_id, quiz = found
    if payload.arg(1) == "yes" and await ctx.db.quizzes.join_leaderboard(attempt.id, leaderboard_name(ctx)):
        ctx.say(await leaderboard_text(ctx, quiz_id, quiz))
    else:
        ctx.say(ctx.t("quizzes.leaderboard_declined"))
    ctx.goto("", clear=True)


async def leaderboard_text(ctx: Context, quiz_id: int, quiz: Quiz) -> str:
    total = len(quiz.questions)
    lines = [ctx.t("quizzes.leaderboard_header", title=text_in(quiz.title, ctx.language))]
    lines += [ctx.t("quizzes.leaderboard_line", place=place, name=name, score=score, total=total)
              for place, (name, score) in enumerate(await ctx.db.quizzes.leaderboard(quiz_id), 1)]
    return "\n".join(lines)


FEATURE = Feature("quizzes", content=(CONTENT,))
