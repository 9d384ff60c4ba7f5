"""«Присоединяйтесь»: the residents and organisations who offered to help, for staff.

A list with filters (person or organisation, what they help with, channel) and its export to
CSV or XLSX with the same columns, in the panel's words and the town's clock. Names and contacts
are personal data: shown and exported only to those with that right. Every look at the list and
every download is in the audit log («Просмотр списка «Присоединяйтесь»», «Выгрузка»).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict
from typing import Any

from aiohttp import web

from admin.app import panel, render
from admin.audit import record
from admin.export_tables import Column, Row, Table, Words
from admin.exports import MEDIA_TYPES, csv_of, xlsx_of
from admin.roles import CONTENT, EXPORTS, PERSONAL_DATA, can, current_user, require
from admin.titles import CHANNEL_TITLES
from bot.numbers import whole_number
from bot.phones import readable
from storage.ports.repositories import Repositories
from storage.ports.volunteers import Volunteer, VolunteerFilter
from storage.statuses import ContactKind, VolunteerKind

routes = web.RouteTableDef()

KIND_TITLES = {VolunteerKind.PERSON: "житель", VolunteerKind.ORGANISATION: "организация"}
CONTACT_TITLES = {ContactKind.PHONE: "телефон", ContactKind.EMAIL: "эл. почта", ContactKind.MESSENGER: "в мессенджере"}
FORMATS = {"csv": "CSV (Excel)", "xlsx": "XLSX (Excel)"}
EXPORT_PAGE = 500


def filter_from(query: Mapping[str, str], help_keys: set[str]) -> VolunteerFilter:
    """The list's filters from a query string; anything unknown is ignored."""
    kind = query.get("kind", "")
    help_key = query.get("help", "")
    channel = query.get("channel", "")
    return VolunteerFilter(kind=kind if kind in set(VolunteerKind) else "",
                           help=help_key if help_key in help_keys else "",
                           channel=channel if channel in CHANNEL_TITLES else "")


def filter_words(where: VolunteerFilter, help_titles: Mapping[str, str]) -> dict[str, str]:
    """The filters as the audit log shows them."""
    shown = {"kind": KIND_TITLES.get(VolunteerKind(where.kind)) if where.kind else "",
             "help": help_titles.get(where.help, where.help), "channel": where.channel}
    return {key: value for key, value in shown.items() if value}


def contact_text(row: Row) -> str:
    if row["contact_kind"] == ContactKind.PHONE:
        return readable(row["contact"])
    if row["contact_kind"] == ContactKind.EMAIL:
        return str(row["contact"])
    return f"{CHANNEL_TITLES.get(row['channel'], row['channel'])}, ID {row['external_id']}"


def help_text(row: Row, help_titles: Mapping[str, str]) -> str:
    helps = [help_titles.get(key, key) for key in row["help"]]
    if row["help_other"]:
        helps.append(f"другое: {row['help_other']}")
    return "; ".join(helps)


def columns(words: Words, help_titles: Mapping[str, str], personal: bool) -> list[Column]:
    """The list's and the export's columns: Russian headers, times in the town's zone, keys last."""
    found = [Column("id", "Номер", lambda row: row["id"]),
             Column("kind", "Кто", lambda row: KIND_TITLES.get(VolunteerKind(row["kind"]), row["kind"]))]
    if personal:
        found += [Column("name", "Имя или название", lambda row: row["name"]),
                  Column("contact_kind", "Как связаться",
                         lambda row: CONTACT_TITLES.get(ContactKind(row["contact_kind"]), row["contact_kind"])),
                  Column("contact", "Контакт", contact_text)]
    found += [Column("help", "Чем поможет", lambda row: help_text(row, help_titles)),
              Column("channel", "Канал", lambda row: CHANNEL_TITLES.get(row["channel"], row["channel"])),
              Column("joined_at", words.at("Присоединился"), lambda row: words.time(row["joined_at"]), time=True),
              Column("consent_at", words.at("Согласие"), lambda row: words.time(row["consent_at"]), time=True),
              Column("kind_key", "Код", lambda row: row["kind"]),
              Column("channel_key", "Код канала", lambda row: row["channel"])]
    return found


def values(volunteer: Volunteer, chosen: list[Column]) -> list[Any]:
    row = asdict(volunteer)
    return [column.value(row) for column in chosen]


async def table(reader: Repositories, where: VolunteerFilter, words: Words, help_titles: Mapping[str, str],
                personal: bool) -> AsyncIterator[Table]:
    chosen = columns(words, help_titles, personal)

    async def rows() -> AsyncIterator[list[list[Any]]]:
        async for page in reader.volunteers.pages(where, EXPORT_PAGE):
            yield [values(v, chosen) for v in page]
    yield Table("Присоединились", chosen, rows())


def _help_titles(request: web.Request) -> dict[str, str]:
    return {option.key: option.title_in("ru") for option in panel(request).settings.joining.help_options}


@routes.get("/volunteers")
@require(CONTENT, EXPORTS)
async def volunteers_page(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    titles = _help_titles(request)
    where = filter_from(request.query, set(titles))
    personal = can(current_user(request), PERSONAL_DATA)
    size = p.settings.joining.list_page_size
    page = max(1, whole_number(request.query.get("page")) or 1)
    found, total = await p.db.reader.volunteers.listed(where, size, (page - 1) * size)
    count = await p.db.reader.volunteers.count_joined()
    async with p.db.transaction() as tx:
        await record(tx, request, "volunteers.view", "", {"personal": personal, "filters": filter_words(where, titles)})
    chosen = columns(Words.of(p.settings), titles, personal)
    query = "&".join(f"{key}={value}" for key, value in (("kind", where.kind), ("help", where.help),
                                                          ("channel", where.channel)) if value)
    return render(request, "volunteers.html", columns=chosen, rows=[values(v, chosen) for v in found],
                  total=total, count=count, where=where, kinds=KIND_TITLES, helps=titles, channels=CHANNEL_TITLES,
                  formats=FORMATS, personal=personal, page=page, more=page * size < total, query=query)


@routes.get("/volunteers/export")
@require(CONTENT, EXPORTS)
async def export(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    fmt = request.query.get("format", "csv")
    if fmt not in FORMATS:
        raise web.HTTPBadRequest(text=f"неизвестный формат: {fmt[:20]}")
    titles = _help_titles(request)
    where = filter_from(request.query, set(titles))
    personal = can(current_user(request), PERSONAL_DATA)
    async with p.db.transaction() as tx:
        await record(tx, request, "export", f"{fmt}:volunteers", {"personal": personal,
                                                                 "filters": filter_words(where, titles)})
    response = web.StreamResponse(headers={
        "Content-Type": MEDIA_TYPES[fmt], "Content-Disposition": f'attachment; filename="volunteers.{fmt}"',
        "Cache-Control": "no-store"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    found = table(p.db.reader, where, Words.of(p.settings), titles, personal)
    async for chunk in (csv_of(found) if fmt == "csv" else xlsx_of(found)):
        await response.write(chunk)
    await response.write_eof()
    return response
