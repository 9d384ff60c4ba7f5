"""Surveys: questions of several types, skip logic, progress, and resuming where one left off.

    (menu) ─surveys─▶ list ─survey:<key>─▶ question ─answer─▶ question … ─▶ thanks ▶ (menu)
                                              │  "pause": back to the menu; the response keeps
                                              └─ its place and answers, so survey:<key> resumes

The response (answers and the current question) lives in SQLite and is saved with every answer,
so stopping, a restart or a week's break loses nothing. Button payloads carry the survey key, the
wave and the question's position, so a button from an earlier question or another wave is
recognised as stale. A survey repeated in waves (``handlers/survey_waves_content.py``) is answered once
per wave; between waves it says when the next one opens, and a wave that closed takes no answer.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.content import text_in
from bot.core.events import Kind
from bot.core.filters import button, kind, state_is
from bot.core.payloads import encode
from bot.core.plugins import Feature, Job
from bot.core.replies import Button
from bot.core.routing import Context, Router
from broadcasts.survey_waves import WaveReminder
from handlers.content_items import load, show_open, utc_now, when
from handlers.idle import at_menu
from handlers.photos import not_kept
from handlers.surveys_content import CONTENT, END, Survey, SurveyQuestion
from storage.ports.content import ContentKind
from storage.ports.repositories import Repositories
from storage.ports.residents import Resident
from storage.ports.surveys import Response
from storage.statuses import QuestionType

router = Router("surveys")

LIST, QUESTION = "surveys", "survey:question"
SKIP, DONE = "_skip", "_done"


async def load_survey(db: Repositories, key: str) -> tuple[int, Survey] | None:
    return await load(db, ContentKind.SURVEYS, Survey, key)


@router.on(at_menu, button("menu", "surveys"))
async def show_list(ctx: Context, payload) -> None:
    ctx.goto(LIST)


@router.prompt(LIST)
async def list_open(ctx: Context) -> None:
    await show_open(ctx, ContentKind.SURVEYS, Survey, "survey")


@router.on(state_is(LIST, ""), button("survey"))
async def chose_survey(ctx: Context, payload) -> None:
    """``survey:<key>`` from the list, or ``survey:<key>:<wave>`` from a wave's reminder."""
    found = await load_survey(ctx.db, payload.arg(0))
    if found is None:
        ctx.say(ctx.t("surveys.unknown"))
        ctx.goto("")
        return
    survey_id, survey = found
    title = text_in(survey.title, ctx.language)
    now = utc_now()
    wave = survey.wave_at(now) if survey.is_open(now) else None
    asked = payload.arg(1)
    if asked and (wave is None or asked != str(wave.number)):
        ctx.say(ctx.t("surveys.wave_closed", number=asked if asked.isdigit() and len(asked) < 4 else "?",
                      title=title))
        ctx.goto("")
        return
    if wave is None:
        upcoming = survey.next_wave(now) if survey.waves is not None else None
        ctx.say(ctx.t("surveys.between_waves", title=title, number=upcoming.number, when=when(ctx, upcoming.opens))
                if upcoming else ctx.t("surveys.closed", title=title))
        ctx.goto("")
        return
    response = await ctx.db.surveys.begin(survey_id, ctx.resident.id, ctx.resident.channel, survey.questions[0].key,
                                          wave=wave.number)
    if response.completed:
        if survey.waves is None:
            ctx.say(ctx.t("surveys.already", title=title))
        else:
            ctx.say(ctx.t("surveys.already_wave", number=wave.number, title=title) + _next_wave(ctx, survey, now))
        ctx.goto("")
        return
    if response.answers:
        ctx.say(ctx.t("surveys.resumed", title=title))
    else:
        if survey.waves is not None:
            ctx.say(ctx.t("surveys.wave_started", number=wave.number, title=title, until=when(ctx, wave.closes)))
        if survey.intro:
            ctx.say(text_in(survey.intro, ctx.language))
    ctx.resident.state_data = {"survey": survey.key, "wave": wave.number, "picked": []}
    ctx.goto(QUESTION)


def _next_wave(ctx: Context, survey: Survey, now: datetime) -> str:
    """« Следующая волна откроется …» after a wave's thanks, or nothing after the last wave."""
    upcoming = survey.next_wave(now)
    return "\n" + ctx.t("surveys.next_wave", when=when(ctx, upcoming.opens)) if upcoming else ""


# -- asking ----------------------------------------------------------------------------------

async def current(ctx: Context) -> tuple[Survey, Response, SurveyQuestion] | None:
    """The survey, the resident's response to the wave being answered and its current question;
    None (with a word when the wave has closed meanwhile) when there is nothing to answer."""
    found = await load_survey(ctx.db, ctx.data.get("survey", ""))
    if found is None:
        return None
    survey_id, survey = found
    wave = survey.wave(int(ctx.data.get("wave", 1)))
    if wave is None or not wave.is_open(utc_now()) or not survey.is_open(utc_now()):
        ctx.say(ctx.t("surveys.wave_closed" if survey.waves is not None else "surveys.closed",
                      number=wave.number if wave else "?", title=text_in(survey.title, ctx.language)))
        return None
    response = await ctx.db.surveys.begin(survey_id, ctx.resident.id, ctx.resident.channel, survey.questions[0].key,
                                          wave=wave.number)
    question = survey.question(response.current)
    return (survey, response, question) if question and not response.completed else None


def asks_for_photo(resident: Resident) -> bool:
    """Only a photo question asks for a photo (``ask`` notes the type of the question shown)."""
    return resident.state_data.get("question_type") == QuestionType.PHOTO


@router.prompt(QUESTION, photos=asks_for_photo)
async def ask(ctx: Context) -> None:
    found = await current(ctx)
    if found is None:
        ctx.goto("", clear=True)
        return
    survey, response, question = found
    position = survey.questions.index(question)
    ctx.data["question_type"] = question.type

    def answer_button(label: str, value: str) -> Button:
        return Button(label=label, payload=encode("sa", survey.key, response.wave, position, value))

    rows: list[list[Button]] = []
    hint = ""
    match question.type:
        case QuestionType.SINGLE:
            rows = [[answer_button(text_in(o.title, ctx.language), o.key)] for o in question.options]
        case QuestionType.MULTIPLE:
            picked = ctx.data.get("picked", [])
            rows = [[answer_button(("✅ " if o.key in picked else "⬜ ") + text_in(o.title, ctx.language), o.key)]
                    for o in question.options]
            rows.append([answer_button(ctx.t("surveys.done"), DONE)])
        case QuestionType.SCALE:
            rows = [[answer_button(str(n), str(n)) for n in question.scale]]
        case QuestionType.NUMBER:
            hint = ctx.t("surveys.number_hint", min=_number(question.min), max=_number(question.max))
        case QuestionType.TEXT:
            hint = ctx.t("surveys.text_hint")
        case QuestionType.PHOTO:
            hint = ctx.t("surveys.photo_hint")
        case QuestionType.LOCATION:
            rows = [[Button(label=ctx.t("proposal.add_place"), request="location")]]
    if not question.required:
        rows.append([answer_button(ctx.t("surveys.skip"), SKIP)])
    rows.append([Button(label=ctx.t("surveys.pause"), payload=encode("nav", "menu"))])
    lines = [ctx.t("surveys.progress", number=position + 1, total=len(survey.questions)),
             text_in(question.text, ctx.language)]
    ctx.say("\n".join(line for line in [*lines, hint] if line), rows)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


# -- answering -------------------------------------------------------------------------------

def this_question(ctx: Context) -> bool:
    """A press on a button of the survey being answered (``sa:<key>:<wave>:<position>:<value>``)."""
    payload = ctx.payload
    return payload is not None and payload.arg(0) == ctx.data.get("survey") and payload.arg(1).isdigit() \
        and payload.arg(2).isdigit()


@router.on(state_is(QUESTION), button("sa"), this_question)
async def pressed(ctx: Context, payload) -> None:
    found = await current(ctx)
    if found is None:
        ctx.goto("", clear=True)
        return
    survey, response, question = found
    if payload.arg(1) != str(response.wave):  # a button of another wave, kept in the chat or forged
        ctx.say(ctx.t("surveys.other_wave", number=payload.arg(1)[:3], current=response.wave))
        await ask(ctx)
        return
    if int(payload.arg(2)) != survey.questions.index(question):
        ctx.say(ctx.t("fallback.stale_button"))
        await ask(ctx)
        return
    value = payload.arg(3)
    if value == SKIP and not question.required:
        await record(ctx, survey, response, question, None)
        return
    match question.type:
        case QuestionType.SINGLE if question.options and any(o.key == value for o in question.options):
            await record(ctx, survey, response, question, value)
        case QuestionType.SCALE if value.isdigit() and int(value) in question.scale:
            await record(ctx, survey, response, question, int(value))
        case QuestionType.MULTIPLE if value == DONE:
            picked = ctx.data.get("picked", [])
            if not picked and question.required:
                ctx.say(ctx.t("surveys.pick_one"))
                await ask(ctx)
                return
            await record(ctx, survey, response, question, list(picked))
        case QuestionType.MULTIPLE if any(o.key == value for o in question.options):
            picked = ctx.data.setdefault("picked", [])
            if value in picked:
                picked.remove(value)
            else:
                picked.append(value)
            await ask(ctx)
        case _:
            ctx.say(ctx.t("surveys.unknown_answer"))
            await ask(ctx)


@router.on(state_is(QUESTION), kind(Kind.TEXT, Kind.PHOTOS, Kind.LOCATION))
async def typed(ctx: Context) -> None:
    found = await current(ctx)
    if found is None:
        ctx.goto("", clear=True)
        return
    survey, response, question = found
    event = ctx.event
    match question.type, event.kind:
        case QuestionType.TEXT, Kind.TEXT:
            text = event.text.strip()
            if len(text) > question.max_length:
                ctx.say(ctx.t("surveys.too_long", length=len(text), max=question.max_length))
                await ask(ctx)
                return
            await record(ctx, survey, response, question, text)
        case QuestionType.NUMBER, Kind.TEXT:
            number = _parse_number(event.text)
            low, high = question.min, question.max
            if number is None or (low is not None and number < low) or (high is not None and number > high):
                ctx.say(ctx.t("surveys.bad_number", min=_number(low), max=_number(high)))
                await ask(ctx)
                return
            await record(ctx, survey, response, question, number)
        case QuestionType.PHOTO, Kind.PHOTOS if any(p.file_key for p in event.photos):
            await record(ctx, survey, response, question, [p.file_key for p in event.photos if p.file_key][0])
        case QuestionType.PHOTO, Kind.PHOTOS:
            ctx.say(not_kept(ctx))
            await ask(ctx)
        case QuestionType.LOCATION, Kind.LOCATION:
            point = event.location
            await record(ctx, survey, response, question, {"latitude": point.latitude, "longitude": point.longitude})
        case _:
            ctx.say(ctx.t("surveys.wrong_kind"))
            await ask(ctx)


def _parse_number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", ".").replace(" ", ""))
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


async def record(ctx: Context, survey: Survey, response: Response, question: SurveyQuestion, answer: Any) -> None:
    """Save the answer and move to the question the skip logic names (or finish)."""
    if answer is None:
        response.answers.pop(question.key, None)
    else:
        response.answers[question.key] = answer
    following = survey.after(question, answer)
    response.current = following if following != END else ""
    response.completed = following == END
    await ctx.db.surveys.save(response)
    ctx.data["picked"] = []
    if response.completed:
        stored = await ctx.db.content.get(ContentKind.SURVEYS, survey.key)
        if stored is not None:  # the wave's reminder, if it is still going out, skips them now
            await ctx.db.surveys.skip_answered(stored[0], response.wave, ctx.resident.id)
        thanks = ctx.t("surveys.thanks", title=text_in(survey.title, ctx.language))
        ctx.say(thanks + (_next_wave(ctx, survey, utc_now()) if survey.waves is not None else ""))
        ctx.goto("", clear=True)
    else:
        await ask(ctx)


FEATURE = Feature("surveys", content=(CONTENT,), jobs=(
    Job("survey_waves", every=lambda settings: settings.surveys.check_every_seconds,
        build=lambda app: WaveReminder(app.db, app.scheduler, app.texts, app.settings,
                                       wake=app.broadcasts.wake).check),))
