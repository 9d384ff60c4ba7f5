"""What one browser and one address may send to the web chat, and how the page is protected:
429 with Retry-After and a reason, long polls capped, bounded parameters, the session in a
header, and the page's Content-Security-Policy."""
from __future__ import annotations

import asyncio
import os
import re
import secrets
import uuid
from typing import Any

import aiohttp
import pytest

from bot.config import ConfigError, load_settings
from tests import stored
from tests.drivers import eventually
from tests.drivers.webchat import API, world as webchat_world


async def post(world, session: str, body: dict[str, Any], **headers: str) -> tuple[int, dict, dict]:
    async with world.http.post(world.base + API, json={"id": uuid.uuid4().hex, **body},
                               headers={"X-Session": session, **headers}) as response:
        return response.status, dict(response.headers), await response.json()


async def upload(world, session: str, data: bytes) -> tuple[int, dict, dict]:
    form = aiohttp.FormData()
    form.add_field("photo", data, filename="photo.jpg", content_type="image/jpeg")
    async with world.http.post(world.base + API, data=form, headers={"X-Session": session}) as response:
        return response.status, dict(response.headers), await response.json()


async def poll(world, session: str, timeout: int = 20, **query: str) -> tuple[int, dict, dict]:
    async with world.http.get(world.base + API, params={"timeout": str(timeout), **query},
                              headers={"X-Session": session}) as response:
        return response.status, dict(response.headers), await response.json()


async def stored_events(world) -> int:
    """Web-chat events stored so far (their keys are hashes: count them all, one sender at a time)."""
    return await stored.count(world.app.db, "inbox", channel="webchat")


def refused_with_a_wait(status: int, headers: dict, body: dict, limit_seconds: int) -> bool:
    wait = int(headers["Retry-After"])
    return status == 429 and body["error"] == "rate_limited" and 1 <= wait <= limit_seconds and body["reason"]


async def test_the_41st_message_in_a_minute_from_one_browser_is_refused_and_another_browser_goes_on(tmp_path):
    async with webchat_world(tmp_path) as world:
        flooder, neighbour = secrets.token_hex(16), secrets.token_hex(16)
        for number in range(40):
            status, _, body = await post(world, flooder, {"text": f"сообщение {number}"})
            assert status == 200, body
        status, headers, body = await post(world, flooder, {"text": "сорок первое"})
        assert refused_with_a_wait(status, headers, body, 60)
        assert "Подождите" in body["reason"]  # the resident's language: Russian by default
        assert await stored_events(world) == 40  # the refused one was not taken in (nobody else sent yet)
        status, _, _ = await post(world, neighbour, {"text": "/start"})
        assert status == 200


async def test_the_reason_is_in_the_language_the_browser_asked_for(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_SESSION="1") as world:
        session = secrets.token_hex(16)
        assert (await post(world, session, {"text": "/start", "language": "en"}))[0] == 200
        status, headers, body = await post(world, session, {"text": "/start", "language": "en"})
        assert status == 429 and "Please wait" in body["reason"] and headers["Retry-After"]


def proxy_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "server.trusted_proxies" in r.getMessage()]


async def test_one_address_is_limited_across_its_sessions(tmp_path, caplog):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_ADDRESS="5") as world:
        for _ in range(5):
            assert (await post(world, secrets.token_hex(16), {"text": "/start"}))[0] == 200
        status, headers, body = await post(world, secrets.token_hex(16), {"text": "/start"})
        assert refused_with_a_wait(status, headers, body, 60)
        # Writing X-Forwarded-For oneself changes nothing: 127.0.0.1 is no trusted proxy here.
        for spoofed in ("203.0.113.9", "203.0.113.10"):
            status, _, _ = await post(world, secrets.token_hex(16), {"text": "/start"}, **{"X-Forwarded-For": spoofed})
            assert status == 429
        assert len(proxy_warnings(caplog)) == 1  # the operator hears once of a proxy the settings do not name


async def test_behind_a_trusted_proxy_the_address_the_proxy_saw_is_the_one_counted(tmp_path, caplog):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_ADDRESS="2",
                             SOUCHASTIE_SERVER_TRUSTED_PROXIES="[127.0.0.1/32]") as world:
        behind = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(2):
            assert (await post(world, secrets.token_hex(16), {"text": "/start"}, **behind))[0] == 200
        assert (await post(world, secrets.token_hex(16), {"text": "/start"}, **behind))[0] == 429
        # Another resident behind the same proxy has an address, and a limit, of his own.
        other = {"X-Forwarded-For": "198.51.100.23"}
        assert (await post(world, secrets.token_hex(16), {"text": "/start"}, **other))[0] == 200
        assert proxy_warnings(caplog) == []


async def test_upload_bytes_are_limited_per_browser_and_per_address(tmp_path):
    photo = b"\xff\xd8\xff\xe0" + os.urandom(600_000)  # 0.6 MB; counted before any check of the picture
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_UPLOAD_MB_PER_HOUR_PER_SESSION="1",
                             SOUCHASTIE_WEBCHAT_UPLOAD_MB_PER_HOUR_PER_ADDRESS="2") as world:
        first, second, third, fourth = (secrets.token_hex(16) for _ in range(4))
        assert (await upload(world, first, photo))[0] == 200
        status, headers, body = await upload(world, first, photo)  # 1.2 of the browser's 1 MB an hour
        assert refused_with_a_wait(status, headers, body, 3600) and "фото" in body["reason"]
        assert (await upload(world, second, photo))[0] == 200  # another browser: an hour of its own
        assert (await upload(world, third, photo))[0] == 200   # the address has sent 1.8 of its 2 MB
        assert refused_with_a_wait(*await upload(world, fourth, photo), 3600)  # a new browser, same address
        staged = world.app.channels["webchat"].uploads
        assert staged.reserved == 0 and len(staged) == 0  # nothing held after the requests


async def test_one_long_poll_too_many_from_one_browser_is_answered_at_once(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_LONG_POLLS_PER_SESSION="2") as world:
        polls = world.app.channels["webchat"].long_polls
        session = secrets.token_hex(16)
        waiting = [asyncio.create_task(poll(world, session)) for _ in range(2)]
        await eventually(lambda: polls.open == 2)
        status, headers, body = await poll(world, session)
        assert status == 429 and headers["Retry-After"] and headers.get("Connection", "").lower() == "close"
        assert body["error"] == "rate_limited" and body["reason"]
        assert not any(task.done() for task in waiting)
        other = asyncio.create_task(poll(world, secrets.token_hex(16)))  # another browser may wait
        await eventually(lambda: polls.open == 3)
        await post(world, session, {"text": "/start"})  # a reply wakes this browser's two polls
        assert [(await task)[0] for task in waiting] == [200, 200]
        other.cancel()


async def test_long_polls_beyond_the_total_are_answered_at_once(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_LONG_POLLS_TOTAL="3") as world:
        polls = world.app.channels["webchat"].long_polls
        sessions = [secrets.token_hex(16) for _ in range(3)]
        waiting = [asyncio.create_task(poll(world, session)) for session in sessions]
        await eventually(lambda: polls.open == 3)
        status, headers, _ = await poll(world, secrets.token_hex(16))
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert (await poll(world, secrets.token_hex(16), timeout=0))[0] == 200  # a look holds nothing: allowed
        for session in sessions:
            await post(world, session, {"text": "/start"})
        assert [(await task)[0] for task in waiting] == [200, 200, 200]
        assert polls.open == 0


@pytest.mark.parametrize("query", [
    {"after": "9223372036854775808"}, {"after": "-1"}, {"after": "1e3"}, {"after": " 5"}, {"after": "٣"},
    {"timeout": "99999999999999999999"}, {"after": "9" * 5000},
])
async def test_numbers_beyond_what_sqlite_holds_or_not_plain_digits_are_a_400(tmp_path, query):
    async with webchat_world(tmp_path) as world:
        status, _, body = await poll(world, secrets.token_hex(16), **{"timeout": "0", **query})
        assert status == 400 and body["error"] == "bad_parameter"


async def test_the_largest_id_sqlite_holds_is_a_valid_after(tmp_path):
    async with webchat_world(tmp_path) as world:
        status, _, body = await poll(world, secrets.token_hex(16), timeout=0, after="9223372036854775807")
        assert status == 200 and body == {"replies": []}


async def test_the_session_travels_in_a_header_and_never_in_the_address(tmp_path):
    async with webchat_world(tmp_path) as world:
        session = secrets.token_hex(16)
        assert (await post(world, session, {"text": "/start"}))[0] == 200
        async with world.http.get(world.base + API, params={"session": session, "timeout": "0"}) as response:
            refused = await response.json()
        assert response.status == 400 and refused["error"] == "bad_session" and "X-Session" in refused["reason"]
        status, _, body = await poll(world, session, timeout=0)
        assert status == 200 and body["replies"]  # the greeting, read with the header
        mismatch = await post(world, session, {"text": "/start", "session": secrets.token_hex(16)})
        assert mismatch[0] == 400 and mismatch[2]["error"] == "bad_session"


async def test_the_page_sends_the_session_in_a_header():
    from importlib import resources
    script = (resources.files("channels.webchat") / "static" / "chat.js").read_text(encoding="utf-8")
    assert '"X-Session": session' in script and "session=" not in script


async def test_the_page_allows_only_its_own_script_and_only_its_own_site_may_frame_it(tmp_path):
    async with webchat_world(tmp_path) as world:
        async with world.http.get(world.base + "/chat") as response:
            page, headers = await response.text(), response.headers
        async with world.http.get(world.base + "/chat/chat.js") as script:
            script_headers = script.headers
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'self'" and headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff" and script_headers["X-Content-Type-Options"] == "nosniff"
    # Nothing inline that the policy would block: scripts only by src, no handlers, no style attributes.
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert not re.search(r"\son[a-z]+=|\sstyle=", page)


async def test_the_city_site_named_in_the_settings_may_frame_the_chat(tmp_path):
    ancestors = "[\"'self'\", https://city.example.ru]"
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_FRAME_ANCESTORS=ancestors) as world:
        async with world.http.get(world.base + "/chat") as response:
            headers = response.headers
    assert "frame-ancestors 'self' https://city.example.ru" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers  # it cannot name another site, and would forbid it


def test_a_frame_ancestor_that_could_smuggle_a_directive_is_refused():
    with pytest.raises(ConfigError, match="frame_ancestors"):
        load_settings(None, {"SOUCHASTIE_WEBCHAT_FRAME_ANCESTORS": "['https://x.example; script-src *']"})


async def test_photos_being_received_at_once_are_bounded_in_memory(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_UPLOADS_IN_MEMORY_MB="1") as world:
        # One upload of 0.7 MB arrives slowly: its room is taken while its bytes come in.
        reader, writer = await asyncio.open_connection("127.0.0.1", world.app.port)
        boundary = "slowupload"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n"
                f"Content-Type: image/jpeg\r\n\r\n").encode()
        writer.write((f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Session: {secrets.token_hex(16)}\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                      f"Content-Length: 700000\r\n\r\n").encode() + head + b"\xff\xd8\xff" + bytes(1000))
        await writer.drain()
        staged = world.app.channels["webchat"].uploads
        await eventually(lambda: staged.reserved == 700_000)
        status, headers, body = await upload(world, secrets.token_hex(16), b"\xff\xd8\xff" + bytes(600_000))
        assert status == 429 and body["error"] == "busy" and int(headers["Retry-After"]) >= 1
        writer.close()
        await eventually(lambda: staged.reserved == 0)  # a dropped upload gives its room back
        assert (await upload(world, secrets.token_hex(16), b"\xff\xd8\xff" + bytes(600_000)))[0] == 200


async def test_a_form_with_fields_beyond_the_few_it_may_hold_is_refused_at_once(tmp_path):
    async with webchat_world(tmp_path) as world:
        form = aiohttp.FormData()
        form.add_field("junk", b"x" * 1_000_000, filename="junk.bin")
        form.add_field("photo", b"\xff\xd8\xff" + bytes(100), filename="a.jpg", content_type="image/jpeg")
        headers = {"X-Session": secrets.token_hex(16)}
        async with world.http.post(world.base + API, data=form, headers=headers) as response:
            body = await response.json()
        assert response.status == 400 and body["error"] == "malformed_form"
