"""The web chat's first look at an upload agrees with the decoder that reads it afterwards."""
from __future__ import annotations

import io
import secrets

import aiohttp
import pytest
from PIL import Image

from storage.images import NotAnImage, sniff_image
from tests.drivers.webchat import API, world as webchat_world


@pytest.mark.parametrize("made_as, mime", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"),
                                           ("WEBP", "image/webp")])
def test_each_kept_format_is_recognised_by_its_first_bytes(made_as, mime):
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(picture, made_as)
    assert sniff_image(picture.getvalue()) == mime


@pytest.mark.parametrize("data", [b"BM" + bytes(60), b"%PDF-1.7\n", b"\x89PNG\r\n", b""])
def test_other_files_and_cut_signatures_are_no_image(data):
    with pytest.raises(NotAnImage):
        sniff_image(data)


async def test_a_riff_container_that_holds_no_webp_picture_is_refused_at_the_door(tmp_path):
    """A WAV file is RIFF too; so is a "WEBP" that holds no VP8 picture: neither reaches the photo step."""
    async with webchat_world(tmp_path) as world:
        form = aiohttp.FormData()
        form.add_field("session", secrets.token_hex(16))
        form.add_field("photo", b"RIFF\x24\x00\x00\x00WEBPJUNK" + bytes(32), filename="photo.webp",
                       content_type="image/webp")
        async with world.http.post(world.base + API, data=form) as response:
            answer = await response.json()
        assert response.status == 415 and answer["error"] == "not_an_image"
