"""The one gate for residents' photos, whatever the channel, and where a resident stands.

A photo is fetched from the platform and stored only for a resident who consented, at a step
that asks for photos (``Router.prompt(..., photos=...)``). Otherwise it stays where it is,
unread, and the handlers answer as they would for any photo there ("not needed here", or
consent first). The store checks the picture and strips its metadata; when it refuses one,
``Photo.refused`` says why, for the handler to explain.
"""
from __future__ import annotations

import logging
from typing import Callable, Mapping

from bot.core.channel import Channel, DeliveryError, Step
from bot.core.events import Event, Photo, ResidentRef
from bot.core.settings import CoreSettings
from storage.attachments import AttachmentStore, ImageTooLarge, NotAnImage, QuotaExceeded
from storage.ports.repositories import Database
from storage.ports.residents import Resident

log = logging.getLogger(__name__)


class PhotoGate:
    def __init__(self, db: Database, settings: CoreSettings, channels: Mapping[str, Channel],
                 attachments: AttachmentStore, photo_steps: Mapping[str, Callable[[Resident], bool]]) -> None:
        self.db = db
        self.settings = settings
        self.channels = channels
        self.attachments = attachments
        self.photo_steps = photo_steps

    async def fetch(self, event: Event) -> Event:
        """Store the event's photos still on the platform, where they are asked for (held under
        the resident lock)."""
        if not any(photo.remote_id and not photo.file_key for photo in event.photos):
            return event
        resident = await self.db.reader.residents.find(event.ref.channel, event.ref.external_id)
        if resident is None or not resident.has_consent or not self._asks_for_photos(resident):
            return event
        channel = self.channels.get(event.ref.channel)
        room = max(1, self.settings.proposals.max_photos)  # no step takes more from one message
        fetched: list[Photo] = []
        for photo in event.photos:
            if photo.file_key or not photo.remote_id or channel is None or room == 0:
                fetched.append(photo)
                continue
            room -= 1
            fetched.append(await self._store_photo(channel, event, photo))
        return event.model_copy(update={"photos": tuple(fetched)})

    async def step_of(self, ref: ResidentRef) -> Step:
        resident = await self.db.reader.residents.find(ref.channel, ref.external_id)
        return Step() if resident is None else self.step(resident)

    def step(self, resident: Resident) -> Step:
        return Step(language=resident.language, takes_photos=resident.has_consent and self._asks_for_photos(resident))

    def _asks_for_photos(self, resident: Resident) -> bool:
        rule = self.photo_steps.get(resident.state)
        return rule is not None and rule(resident)

    async def _store_photo(self, channel: Channel, event: Event, photo: Photo) -> Photo:
        try:
            data = await channel.download(photo)
            key, mime = await self.attachments.put_image(data)
        except DeliveryError as error:
            log.warning("фото %s из канала %s не получено: %s", photo.remote_id, event.ref.channel, error)
            return photo.model_copy(update={"refused": "unavailable"})
        except NotAnImage as error:
            log.info("фото из %s отклонено: %s", event.ref.channel, error)
            return photo.model_copy(update={"refused": "not_an_image"})
        except ImageTooLarge as error:
            log.warning("фото из %s отклонено: %s", event.ref.channel, error)
            return photo.model_copy(update={"refused": "too_large"})
        except QuotaExceeded as error:
            log.warning("квота вложений исчерпана (storage.attachments_quota_mb), фото из %s не сохранено: %s",
                        event.ref.channel, error)
            return photo.model_copy(update={"refused": "quota"})
        except OSError as error:
            log.error("фото из %s не записано на диск: %s", event.ref.channel, error)
            return photo.model_copy(update={"refused": "unavailable"})
        return photo.model_copy(update={"file_key": key, "mime_type": mime, "size": len(data)})
