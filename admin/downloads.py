"""The «Выгрузки» pages: choose what to export and how, then download it as a stream.

``GET /admin/exports/download?format=csv&kind=proposals&status=new…`` reads the proposal list's
own filters (``admin.proposals.filters_from``), so the list's «Выгрузить то, что найдено» passes
its query string on and the file holds what the list showed. Personal data goes into a file only when the person has the
personal-data permission AND ticked it for this download; every download is in the audit log.
"""
from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from admin.app import Panel, panel, render
from admin.audit import record
from admin.export_tables import Words
from admin.exports import FORMATS, MEDIA_TYPES, export_chunks, file_name
from admin.proposals import filters_from
from admin.roles import EXPORTS, PERSONAL_DATA, can, current_user, require
from admin.titles import CHANNEL_TITLES, STATUS_TITLES, titled

routes = web.RouteTableDef()
FORMAT_TITLES = {"csv": "CSV (таблица)", "xlsx": "Excel (XLSX, лист на каждый вид)",
                 "geojson": "GeoJSON (слой карты для QGIS)", "json": "JSON"}


async def _kinds(request: web.Request, personal_allowed: bool) -> list[tuple[str, str]]:
    kinds = [("proposals", "Предложения"), ("all", "Всё сразу (только XLSX)")]
    for _, key, definition in await panel(request).db.reader.exports.surveys():
        title = (definition.get("title") or {}).get("ru") or key
        kinds.append((f"survey:{key}", f"Ответы на опрос «{title}»"))
    if personal_allowed:
        kinds.append(("residents", "Жители (персональные данные)"))
    return kinds


def _channels(p: Panel) -> list[str]:
    """The running channels and the operator's entries: every channel a proposal can come from."""
    return sorted(p.dispatcher.channels) + ["operator"]


@routes.get("/exports")
@require(EXPORTS)
async def exports_page(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    personal_allowed = can(current_user(request), PERSONAL_DATA)
    where = filters_from(request.query, {c.key for c in p.settings.proposals.categories},
                         time_zone=p.settings.project.time_zone)
    count = await p.db.reader.exports.count_proposals(where)
    categories = [(c.key, c.title_in("ru")) for c in p.settings.proposals.categories]
    return render(request, "exports_index.html", formats=FORMAT_TITLES, kinds=await _kinds(request, personal_allowed),
                  personal_allowed=personal_allowed, where=where, count=count, categories=categories,
                  statuses=STATUS_TITLES, channels=titled(_channels(p), CHANNEL_TITLES))


@routes.get("/exports/download")
@require(EXPORTS)
async def download(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    fmt = request.query.get("format", "csv")
    kind = request.query.get("kind", "proposals")
    if fmt not in FORMATS:
        raise web.HTTPBadRequest(text=f"неизвестный формат: {fmt[:20]}")
    wants_personal = request.query.get("personal") in ("1", "on")
    personal = wants_personal and can(current_user(request), PERSONAL_DATA)
    if wants_personal and not personal:
        return render(request, "forbidden.html", status=403)
    if kind == "residents" and not personal:
        return render(request, "forbidden.html", status=403)
    valid = {k for k, _ in await _kinds(request, True)}
    if kind not in valid:
        raise web.HTTPBadRequest(text="неизвестный вид выгрузки")
    where = filters_from(request.query, {c.key for c in p.settings.proposals.categories},
                         time_zone=p.settings.project.time_zone)
    async with p.db.transaction() as tx:
        filters = {k: str(v) for k, v in asdict(where).items() if v}
        await record(tx, request, "export", f"{fmt}:{kind}", {"personal": personal, "filters": filters})
    response = web.StreamResponse(headers={
        "Content-Type": MEDIA_TYPES[fmt],
        "Content-Disposition": f'attachment; filename="{file_name(fmt, kind, where)}"',
        "Cache-Control": "no-store"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    async for chunk in export_chunks(p.db.reader, fmt, kind, where, personal, words=Words.of(p.settings)):
        await response.write(chunk)
    await response.write_eof()
    return response
