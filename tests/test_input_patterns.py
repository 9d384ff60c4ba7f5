"""Identifiers checked against a pattern take the whole value or nothing: "good\\n" is refused.

Python's ``$`` also matches before a final newline, so ``re.match(r"^[a-z]+$", "good\\n")`` passes;
our patterns are anchored with ``\\A…\\Z`` so that ``match``, ``search`` and ``fullmatch`` all mean
the whole string. Pydantic's ``Field(pattern=...)`` runs on pydantic-core's Rust regex engine,
where ``$`` is the very end of the text (and ``\\Z`` does not exist): tested here, so that a change
of engine would show.
"""
from __future__ import annotations

import secrets
import uuid

import pytest

from admin.posters import SOURCE as POSTER_SOURCE
from admin.users import USERNAME
from bot.config import ConfigError, load_settings
from bot.content import ContentError, load_content
from channels.webchat.channel import SESSION, session_ref
from channels.webchat.parse import CLIENT_ID, LANGUAGE as API_LANGUAGE
from handlers.commands import SOURCE
from tests.drivers import ROOT
from tests.drivers.vk import world as vk_world
from tests.drivers.webchat import API, world as webchat_world


@pytest.mark.parametrize("pattern, good", [
    (SESSION, "a" * 32), (CLIENT_ID, "msg-1"), (API_LANGUAGE, "ru"), (SOURCE, "poster_12"),
    (POSTER_SOURCE, "poster_12"), (USERNAME, "anna.petrova")])
def test_every_identifier_pattern_takes_the_whole_value_whatever_method_reads_it(pattern, good):
    for read in (pattern.match, pattern.search, pattern.fullmatch):
        assert read(good)
        assert not read(good + "\n") and not read(good + "\r\n") and not read("\n" + good)


async def test_the_web_chat_refuses_a_session_token_or_a_message_id_with_a_trailing_newline(tmp_path):
    async with webchat_world(tmp_path) as world:
        session = secrets.token_hex(16)

        async def post(**body) -> tuple[int, dict]:
            async with world.http.post(world.base + API, json={"text": "/start", **body}) as response:
                return response.status, await response.json()

        assert (await post(session=session + "\n", id=uuid.uuid4().hex))[1]["error"] == "bad_session"
        assert (await post(session=session, id="good\n"))[1]["error"] == "bad_id"
        status, answer = await post(session=session, id="good")
        assert status == 200 and answer["replies"]
        residents = world.app.db.reader.residents
        assert await residents.find("webchat", session_ref(session).external_id) is not None
        assert await residents.find("webchat", session_ref(session + "\n").external_id) is None


def _config(tmp_path, key: str):
    path = tmp_path / "config.yaml"
    path.write_text(f'proposals:\n  categories:\n    - key: "{key}"\n      title: {{ru: "Идея"}}\n', encoding="utf-8")
    return load_settings(path, {})


def test_a_config_key_or_a_content_key_with_a_trailing_newline_is_refused(tmp_path):
    assert [c.key for c in _config(tmp_path, "idea").proposals.categories] == ["idea"]
    with pytest.raises(ConfigError, match="key"):
        _config(tmp_path, "idea\\n")
    campaign = (ROOT / "content" / "campaign.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "content.yaml"
    broken.write_text(campaign.replace("key: park_name", 'key: "park_name\\n"', 1), encoding="utf-8")
    with pytest.raises(ContentError, match="key"):
        load_content(broken)


async def test_a_start_source_with_a_trailing_newline_is_not_recorded(tmp_path):
    async with vk_world(tmp_path) as world:  # VK hands over a link's ref=… as it came
        poster, odd = world.resident(1), world.resident(2)
        await poster.send(poster.message_new("", ref="poster_12"))
        await odd.send(odd.message_new("", ref="poster_12\n"))
        residents = world.app.db.reader.residents
        assert (await residents.find("vk", str(poster.user_id))).first_source == "poster_12"
        assert (await residents.find("vk", str(odd.user_id))).first_source is None
