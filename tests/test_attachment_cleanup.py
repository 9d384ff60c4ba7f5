"""Photos that nothing refers to any more are deleted after the grace period; every photo that
a proposal, a contest work, a survey answer or an unfinished draft refers to stays."""
from __future__ import annotations

import os
import time
from pathlib import Path

from PIL import Image

from bot.maintenance import remove_unreferenced_attachments
from tests import stored
from tests.drivers import load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, last_buttons, onboard, picture, propose

CONTENT = Path(__file__).parent / "fixtures" / "content"
THREE_DAYS = 3 * 24 * 3600


def pictures_by_size(root: Path) -> dict[tuple[int, int], Path]:
    found = {}
    for path in root.glob("??/*"):
        if path.suffix == ".part":
            continue
        with Image.open(path) as image:
            found[image.size] = path
    return found


async def at_the_photo_step(resident, text: str = "Сломана скамейка у фонтана, нужна замена") -> None:
    await resident.press("menu:propose")
    assert "prop:photo" in last_buttons(await resident.send_text(text))  # the draft, where photos are added


async def test_only_photos_nothing_refers_to_are_deleted_and_only_after_the_grace_period(tmp_path):
    async with webchat_world(tmp_path) as world:
        await load_content_into(world.app, CONTENT / "survey.yaml")
        await load_content_into(world.app, CONTENT / "quizzes_contests.yaml")
        author, drafter, artist, respondent, quitter, latecomer = (world.resident() for _ in range(6))
        for resident in (author, drafter, artist, respondent, quitter, latecomer):
            await onboard(resident)

        # A proposal sent with its photo (picture 64 × 48, the journey's).
        await propose(author)
        # A draft left at the photo step: the photo is in the conversation state only.
        await at_the_photo_step(drafter)
        await drafter.send_photo(picture(70, 50))
        # A contest work with a photo.
        for press in ("menu:contests", "contest:drawings", "cpage:drawings:enter", "ccat:drawings:drawing",
                      "cage:drawings:age_10_13"):
            await artist.press(press)
        await artist.send_photo(picture(90, 60))
        sent = await artist.press("cskip:drawings:text")
        assert "отправлена на проверку" in all_text(sent)
        # A survey's photo answer, the survey not finished yet.
        for press in ("menu:surveys", "survey:opinion", "sa:opinion:1:0:weekly", "sa:opinion:1:2:4",
                      "sa:opinion:1:3:benches", "sa:opinion:1:3:_done"):
            await respondent.press(press)
        await respondent.send_text("34")
        assert "Вопрос 7 из 7" in all_text(await respondent.send_photo(picture(30, 30)))
        # Two abandoned drafts: their photos are referred to by nothing once the drafts are cancelled.
        for resident, size in ((quitter, (44, 33)), (latecomer, (55, 22))):
            await at_the_photo_step(resident)
            await resident.send_photo(picture(*size))
            await resident.press("nav:cancel")

        root = Path(world.app.settings.storage.attachments_dir)
        staff_file = root / "episodes" / "intro.mp4"  # put there by staff for an episode: not the store's
        staff_file.parent.mkdir()
        staff_file.write_bytes(b"\x00\x00\x00\x18ftypmp42")
        cut_short = root / "ab" / f"{'ab' * 32}.jpg.{'0' * 32}.part"  # a write a crash interrupted
        cut_short.parent.mkdir(exist_ok=True)
        cut_short.write_bytes(b"\xff\xd8\xff half a photo")
        pictures = pictures_by_size(root)
        assert set(pictures) == {(64, 48), (70, 50), (90, 60), (30, 30), (44, 33), (55, 22)}
        long_ago = time.time() - THREE_DAYS
        for path in [*pictures.values(), staff_file, cut_short]:
            if path != pictures[(55, 22)]:  # the latecomer's photo is younger than the grace period
                os.utime(path, (long_ago, long_ago))
        store = world.app.dispatcher.attachments
        used_before, gone = store.used_bytes(), pictures[(44, 33)].stat().st_size + cut_short.stat().st_size

        removed = await remove_unreferenced_attachments(world.app.db, store, grace_hours=24)

        assert removed == 2 and not cut_short.exists()
        assert set(pictures_by_size(root)) == {(64, 48), (70, 50), (90, 60), (30, 30), (55, 22)}
        assert staff_file.exists()
        assert store.used_bytes() == used_before - gone  # the quota counts what is left
        # The draft's photo still reaches its proposal, and its file is there.
        assert "П-" in all_text(await drafter.press("prop:confirm"))
        keys = await stored.values(world.app.db, "proposal_attachments", "file_key", order_by="id")
        assert store.path_of(keys[-1]) == pictures[(70, 50)] and pictures[(70, 50)].exists()
