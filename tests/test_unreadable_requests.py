"""What the bot cannot read is refused with a reason and changes nothing (found by tests/fuzz):
a web-chat body with a number of more digits than JSON readers take, a place whose number no
float holds, a photo form with broken part headers, and a panel form that is not UTF-8."""
from __future__ import annotations

import secrets

import pytest

from tests import stored
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import API, world as webchat_world
from tests.journey import JPEG

BOUNDARY = "unreadableBoundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        yield running


async def stored_events(world) -> int:
    return await stored.count(world.app.db, "inbox")


async def posted(world, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    async with world.http.post(world.base + API, data=body, headers=headers) as response:
        return response.status, await response.json()


def form(*parts: bytes) -> bytes:
    return b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + part + b"\r\n" for part in parts) \
        + b"--" + BOUNDARY.encode() + b"--\r\n"


async def test_a_web_chat_body_the_bot_cannot_read_is_refused_with_a_reason_and_nothing_is_stored(world):
    session = secrets.token_hex(16)
    json_body = {"Content-Type": "application/json"}
    too_long = await posted(world, b'{"session": "%s", "text": "x", "n": %s}' % (session.encode(), b"9" * 4301),
                            json_body)
    assert too_long == (400, {"error": "malformed_json", "reason": too_long[1]["reason"]})
    assert "4300" in too_long[1]["reason"]
    far = await posted(world, b'{"session": "%s", "location": {"latitude": %s, "longitude": 0}}'
                       % (session.encode(), b"9" * 400), json_body)
    assert far[0] == 400 and far[1]["error"] == "bad_location"
    broken = await posted(world, form(b'Content-Disposition: form-data; name="photo"; filename="\x1f"\r\n\r\nx'),
                          MULTIPART)
    assert broken[0] == 400 and broken[1]["error"] == "malformed_form"
    assert await stored_events(world) == 0


async def test_a_photo_form_field_is_read_as_sent_whatever_transfer_encoding_it_claims(world):
    claimed = form(b'Content-Disposition: form-data; name="session"\r\nContent-Transfer-Encoding: x\r\n\r\nnot-hex',
                   b'Content-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
                   b'Content-Type: image/jpeg\r\n\r\n' + JPEG)
    status, body = await posted(world, claimed, MULTIPART)
    assert (status, body["error"]) == (400, "bad_session")


async def test_a_panel_form_that_is_not_utf8_is_refused_with_a_reason_and_changes_nothing(world):
    await make_staff(world.app, "mila", "moderator")
    async with StaffBrowser.of(world.app) as mila:
        assert (await mila.login("mila")).status == 200
        headers = {"X-CSRF-Token": mila.csrf}
        for body, content_type in [
                (form(b'Content-Disposition: form-data; name="title"\r\n\r\n\xed\xa0\x80',
                      b'Content-Disposition: form-data; name="text"\r\n\r\nok'), MULTIPART["Content-Type"]),
                (b"title=\xd0&text=ok", "application/x-www-form-urlencoded"),
                (form(b'Content-Disposition: form-data; name="title"\r\nContent-Transfer-Encoding: x\r\n\r\nok'),
                 MULTIPART["Content-Type"])]:
            async with mila.http.post(mila.base + "/admin/answers", data=body,
                                      headers={**headers, "Content-Type": content_type}) as response:
                assert response.status == 400, content_type
                assert "Форма пришла повреждённой" in await response.text()
        assert await world.app.db.reader.moderation.templates() == []
        saved = await mila.post("/admin/answers", {"title": "Спасибо", "text": "Спасибо за предложение!"})
        assert saved.status == 200
        assert [t.title for t in await world.app.db.reader.moderation.templates()] == ["Спасибо"]
