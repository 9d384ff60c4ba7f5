"""A photo is stored only for a resident who consented, at a step that asks for one, on every
channel; what is stored is a clean re-encoding (no GPS, no device, upright), bombs and
non-pictures are refused with an answer, and a full disk quota refuses photos but not the rest."""
from __future__ import annotations

import io
import logging
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from tests import stored
from tests.drivers import CAMPAIGN, JOURNEY_CHANNELS, load_content_into, load_world, with_campaign
from tests.drivers.telegram import world as telegram_world
from tests.drivers.webchat import world as webchat_world
from tests.fakes import PIECE
from tests.journey import JPEG, all_text, last_buttons, onboard, picture, same_picture

SURVEY = Path(__file__).parent / "fixtures" / "content" / "survey.yaml"


def stored_files(world) -> list[Path]:
    root = Path(world.app.settings.storage.attachments_dir)
    return [path for path in root.rglob("*") if path.is_file()]


async def at_the_photo_step(resident) -> None:
    await onboard(resident)
    await resident.press("menu:propose")
    asked = await resident.send_text("Сломана скамейка у фонтана, нужна замена")
    assert "prop:photo" in last_buttons(asked), all_text(asked)  # the draft: photos and the place added here


def camera_photo() -> bytes:
    """What a phone sends: a JPEG lying on its side (EXIF orientation 6), with the make and model
    of the phone and the GPS position where it was taken, in EXIF and in XMP."""
    image = Image.open(io.BytesIO(picture(80, 40))).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Google"
    exif[ExifTags.Base.Model] = "Pixel 7"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (50.0, 5.0, 44.0),
                                   ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (118.0, 1.0, 54.0)}
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="50,5.73N"/>'
           b'</rdf:RDF></x:xmpmeta>')
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=xmp)
    data = out.getvalue()
    assert b"Pixel 7" in data and b"GPSLatitude" in data  # the test photo does carry what must go
    return data


def bomb() -> bytes:
    """A PNG of a few hundred kilobytes that declares 50,000 × 50,000 pixels (2.5 gigapixels)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    squeeze = zlib.compressobj(9)
    zeros = b"".join(squeeze.compress(bytes(1 << 24)) for _ in range(4)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zeros) + chunk(b"IEND", b"")


# -- consent and the photo step --------------------------------------------------------------

async def test_web_chat_photos_before_consent_or_outside_a_photo_step_write_nothing(tmp_path):
    async with webchat_world(tmp_path) as world:
        stranger = world.resident()
        await stranger.send_photo(JPEG)                    # no /start, no consent
        await stranger.send_text("/start")
        asked = await stranger.send_photo(JPEG)            # at the consent question
        assert "consent:yes" in last_buttons(asked)
        resident = world.resident()
        await onboard(resident)
        at_menu = await resident.send_photo(JPEG)          # consented, but the menu asks for no photo
        assert "Фото сейчас не нужно" in all_text(at_menu)
        await resident.press("menu:propose")
        at_text = await resident.send_photo(JPEG)          # the text step asks for text
        assert "Сейчас нужен текст" in all_text(at_text) and "prop:confirm" not in last_buttons(at_text)
        assert stored_files(world) == []
        assert len(world.app.channels["webchat"].uploads) == 0  # and no upload is still held in memory
        await resident.send_text("Поставить скамейки у пруда и фонарь")
        added = await resident.send_photo(JPEG)            # the photo step, after consent: stored
        assert "Фото добавлено (1 из 5)" in all_text(added)
        [stored] = stored_files(world)
        assert same_picture(stored.read_bytes(), JPEG)


def large_photo() -> bytes:
    """A photo of some 130 KB (noise does not compress), with the red corner ``same_picture`` looks for."""
    image = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    image.paste((230, 20, 20), (0, 0, 100, 75))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


@pytest.mark.parametrize("channel_and_campaign",
                         with_campaign([name for name in JOURNEY_CHANNELS if name != "webchat"]))
async def test_a_large_photo_that_arrives_slowly_is_stored_whole(tmp_path, channel_and_campaign):
    """The fakes send files in 16 KB pieces with pauses, as a slow network does: a download that
    took only what had arrived kept the first piece, which is no picture."""
    photo = large_photo()
    assert len(photo) > 4 * PIECE
    channel, campaign = channel_and_campaign
    async with load_world(channel)(tmp_path) as world:
        if campaign:
            await load_content_into(world.app, CAMPAIGN)
        resident = world.resident(1)
        await at_the_photo_step(resident)
        added = await resident.send_photo(photo)
        assert "prop:confirm" in last_buttons(added) and "1 из" in all_text(added), all_text(added)
        [stored] = stored_files(world)
        assert same_picture(stored.read_bytes(), photo)


async def test_telegram_photos_before_consent_are_not_even_downloaded(tmp_path):
    async with telegram_world(tmp_path) as world:
        stranger = world.resident(1)
        await stranger.send_photo(JPEG)
        await stranger.send_text("/start")
        await stranger.send_photo(JPEG)
        resident = world.resident(2)
        await onboard(resident)
        await resident.send_photo(JPEG)
        assert stored_files(world) == [] and world.fake.calls_of("getFile") == []
        await resident.press("menu:propose")
        await resident.send_text("Старый тополь у входа засыхает")
        added = await resident.send_photo(camera_photo())
        assert "prop:confirm" in last_buttons(added)
        [stored] = stored_files(world)
        with Image.open(stored) as kept:
            assert not kept.getexif() and kept.size == (40, 80)  # messengers' photos are cleaned too


async def test_a_survey_stores_a_photo_only_at_its_photo_question(tmp_path):
    async with webchat_world(tmp_path) as world:
        await load_content_into(world.app, SURVEY)
        resident = world.resident()
        await onboard(resident)
        await resident.press("menu:surveys")
        await resident.press("survey:opinion")
        await resident.press("sa:opinion:1:0:weekly")
        await resident.press("sa:opinion:1:2:4")
        await resident.press("sa:opinion:1:3:benches")
        age = await resident.press("sa:opinion:1:3:_done")
        assert "Вопрос 5 из 7" in all_text(age)
        wrong = await resident.send_photo(JPEG)            # the age question asks for a number
        assert "Вопрос 5 из 7" in all_text(wrong) and stored_files(world) == []
        asked = await resident.send_text("34")
        assert "Пришлите фото" in all_text(asked)
        await resident.send_photo(JPEG)
        assert len(stored_files(world)) == 1


# -- what is stored --------------------------------------------------------------------------

async def test_gps_position_and_device_are_stripped_and_the_photo_stays_upright(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await at_the_photo_step(resident)
        added = await resident.send_photo(camera_photo())
        assert "Фото добавлено" in all_text(added)
        [stored] = stored_files(world)
        data = stored.read_bytes()
        assert b"Pixel 7" not in data and b"Google" not in data and b"GPS" not in data and b"xmpmeta" not in data
        with Image.open(stored) as kept:
            assert not kept.getexif() and "icc_profile" not in kept.info and "xmp" not in kept.info
            assert kept.size == (40, 80)  # turned as the camera meant: it was 80 × 40 lying on its side


async def test_a_decompression_bomb_is_refused_unread_with_an_answer_and_the_step_stays(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await at_the_photo_step(resident)
        answer = await resident.send_photo(bomb())
        assert "слишком большая" in all_text(answer) and "prop:confirm" in last_buttons(answer)
        assert stored_files(world) == []
        added = await resident.send_photo(JPEG)
        assert "Фото добавлено (1 из 5)" in all_text(added)


async def test_a_picture_over_the_pixel_setting_is_refused(tmp_path):
    large = picture(2000, 1000, "PNG")  # 2 Mpx, small on disk
    async with webchat_world(tmp_path, SOUCHASTIE_STORAGE_MAX_IMAGE_PIXELS="1000000") as world:
        resident = world.resident()
        await at_the_photo_step(resident)
        answer = await resident.send_photo(large)
        assert "слишком большая" in all_text(answer) and stored_files(world) == []
        assert "Фото добавлено" in all_text(await resident.send_photo(picture(1000, 1000, "PNG")))


async def test_a_file_that_only_starts_like_a_jpeg_is_refused_as_no_photo(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await at_the_photo_step(resident)
        answer = await resident.send_photo(b"\xff\xd8\xff\xe0" + b"MZ\x90\x00 this is a program" * 100)
        assert "не похоже на фотографию" in all_text(answer) and "prop:confirm" in last_buttons(answer)
        assert stored_files(world) == []


# -- the disk quota --------------------------------------------------------------------------

async def test_a_full_quota_refuses_the_photo_warns_in_the_log_and_the_proposal_goes_on(tmp_path, caplog):
    root = tmp_path / "attachments"
    root.mkdir()
    (root / "earlier.bin").write_bytes(bytes(1024 * 1024))  # the folder's 1 MB quota is spent
    async with webchat_world(tmp_path, SOUCHASTIE_STORAGE_ATTACHMENTS_QUOTA_MB="1") as world:
        resident = world.resident()
        await at_the_photo_step(resident)
        with caplog.at_level(logging.WARNING):
            answer = await resident.send_photo(JPEG)
        assert "место для снимков закончилось" in all_text(answer) and "prop:confirm" in last_buttons(answer)
        assert any("квота вложений исчерпана" in r.getMessage() for r in caplog.records)
        assert [p.name for p in stored_files(world)] == ["earlier.bin"]
        done = await resident.press("prop:confirm")
        assert "П-" in all_text(done)
        assert await stored.count(world.app.db, "proposals") == 1
        assert await stored.count(world.app.db, "proposal_attachments") == 0
