"""Operator entry: proposals received by phone, at a reception point, on paper or by e-mail.

An operator types a proposal in on a resident's behalf. It joins the others as channel
"operator", with how it came (the source, one of ``OPERATOR_SOURCES``) and where (the key of one
of the configured ``proposals.reception_points``), so statistics per source and point include
the campaign's offline reception. The person's name, number and e-mail are personal data: kept
only when the operator ticks that the author agreed, shown only to those who may see personal
data. The number, in E.164, is where the receipt and the status notices go by SMS when an SMS
provider is configured (admin/sms_notices.py); without one the page says that nothing is sent.
"""
from __future__ import annotations

from aiohttp import web

from admin import sms_notices
from admin.app import panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import PERSONAL_DATA, PROPOSALS, current_user, require
from admin.titles import OPERATOR_SOURCES as SOURCES
from bot.phones import e164
from storage.attachments import ImageTooLarge, NotAnImage, QuotaExceeded
from storage.ports.proposals import NewProposal
from storage.statuses import ProposalEventKind

routes = web.RouteTableDef()
FIELDS = ("source", "point", "category", "text", "address", "latitude", "longitude", "author_name", "author_phone",
          "author_contact", "consent")
AUTHOR = ("author_name", "author_phone", "author_contact")


def _page(request: web.Request, *, status: int = 200, error: str = "",
          form: dict[str, str] | None = None) -> web.Response:
    """The form, empty or as the operator filled it in: every field is there (the template's
    StrictUndefined refuses a missing one)."""
    settings = panel(request).settings.proposals
    form = {**dict.fromkeys(FIELDS, ""), **(form or {})}
    return render(request, "operator.html", status=status, error=error, form=form, sources=SOURCES,
                  points=settings.reception_points, sms=panel(request).sms is not None,
                  categories=[(c.key, c.title_in("ru")) for c in settings.categories], max_photos=settings.max_photos)


@routes.get("/operator")
@require(PROPOSALS)
async def entry_form(request: web.Request) -> web.StreamResponse:
    return _page(request)


def _coordinate(value: str, limit: float) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if -limit <= number <= limit else None


@routes.post("/operator")
@require(PROPOSALS)
async def enter(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    settings = p.settings.proposals
    form = await request.post()
    fields = {k: str(form.get(k, "")).strip() for k in FIELDS}
    text = fields["text"]
    if fields["source"] not in SOURCES:
        return _page(request, status=400, error="Укажите, как получено предложение.", form=fields)
    if fields["point"] and fields["point"] not in {point.key for point in settings.reception_points}:
        return _page(request, status=400, error="Выберите пункт приёма из списка.", form=fields)
    if fields["source"] == "reception" and not fields["point"]:
        return _page(request, status=400, error="Укажите, в каком пункте приёма получено предложение.", form=fields)
    if fields["category"] not in {c.key for c in settings.categories}:
        return _page(request, status=400, error="Выберите раздел.", form=fields)
    phone = ""
    if fields["author_phone"]:
        phone = e164(fields["author_phone"], p.settings.sms.default_region) or ""
        if not phone:
            return _page(request, status=400, form=fields,
                         error="Телефон автора не распознан: запишите его полностью, например +7 914 123-45-67.")
    if any(fields[k] for k in AUTHOR) and fields["consent"] != "1":
        return _page(request, status=400, form=fields,
                     error="Имя и контакты автора сохраняются только с его согласия: отметьте согласие или "
                           "оставьте поля автора пустыми.")
    if not settings.text_min_length <= len(text) <= settings.text_max_length:
        return _page(request, status=400, form=fields,
                     error=f"Текст — от {settings.text_min_length} до {settings.text_max_length} знаков.")
    latitude, longitude = None, None
    if fields["latitude"] or fields["longitude"]:
        latitude, longitude = _coordinate(fields["latitude"], 90), _coordinate(fields["longitude"], 180)
        if latitude is None or longitude is None:
            return _page(request, status=400, form=fields,
                         error="Координаты: широта и долгота числами, например 50.0979 и 118.0372.")
    photos = []
    for upload in [f for f in form.getall("photo", []) if hasattr(f, "file")][:settings.max_photos]:
        data = upload.file.read()
        if not data:
            continue
        try:
            photos.append(await p.attachments.put_image(data))
        except NotAnImage:
            return _page(request, status=400, error=f"Файл «{upload.filename}» — не фотография (JPEG, PNG, WebP).",
                         form=fields)
        except ImageTooLarge:
            return _page(request, status=400, form=fields,
                         error=f"Снимок «{upload.filename}» слишком велик по числу точек (storage.max_image_pixels).")
        except QuotaExceeded:
            return _page(request, status=400, form=fields,
                         error="Место для фото закончилось (storage.attachments_quota_mb): "
                               "сохраните предложение без фото.")
    operator = current_user(request).username
    async with p.db.transaction() as tx:
        proposal_id = await tx.proposals.create(NewProposal(
            resident_id=None, channel="operator", source=fields["source"], category=fields["category"], text=text,
            address=fields["address"][:settings.address_max_length], latitude=latitude, longitude=longitude,
            photos=photos))
        await tx.moderation.record_entry(proposal_id, point=fields["point"],
                                         author_name=fields["author_name"][:200], author_phone=phone,
                                         author_contact=fields["author_contact"][:200],
                                         consented=fields["consent"] == "1", operator=operator)
        await record(tx, request, "proposal.enter", f"{settings.receipt_prefix}{proposal_id}",
                     {"source": fields["source"], "point": fields["point"]})
    if not phone or p.sms is None:
        raise redirect(f"/admin/proposals/{proposal_id}", "created")
    receipt = f"{settings.receipt_prefix}{proposal_id}"
    text = p.texts.get(p.texts.default, "moderation.sms_receipt", receipt=receipt)
    sent = await sms_notices.send(p, [sms_notices.Sms(proposal_id, phone, text, "о приёме")], operator)
    raise redirect(f"/admin/proposals/{proposal_id}", "created_sms_sent" if sent else "created_sms_failed")


@routes.post("/proposals/{proposal_id:[0-9]+}/forget-author")
@require(PERSONAL_DATA)
async def forget_author(request: web.Request) -> web.StreamResponse:
    """The author of an entered proposal asks, by phone or in person, to have their data erased:
    their name, number and e-mail go from every proposal entered for that number (the proposals
    stay, without an author), and no SMS reaches them any more."""
    p = panel(request)
    proposal_id = path_id(request, "proposal_id")
    actor = current_user(request).username
    async with p.db.transaction() as tx:
        erased = await tx.privacy.forget_entry_author(proposal_id)
        if erased:
            await tx.moderation.event(proposal_id, actor, ProposalEventKind.AUTHOR_ERASED, f"из предложений: {erased}")
            await record(tx, request, "proposal.forget_author",
                         f"{p.settings.proposals.receipt_prefix}{proposal_id}", {"proposals": erased})
    raise redirect(f"/admin/proposals/{proposal_id}", "author_erased")
