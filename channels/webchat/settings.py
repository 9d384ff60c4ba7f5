"""The web chat's section of the settings (``webchat:`` in config.yaml, ``SOUCHASTIE_WEBCHAT_…``).

The channel registers it in its package (``CHANNEL`` in ``__init__.py``); the application puts
it into ``Settings`` under the channel's name. Every field is described in config.yaml.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from bot.core.sections import Section, check_frame_ancestors, quoted_csp_sources

# A tile server's address template: its origin goes into the page's CSP, so nothing but a plain
# host (a "{s}." subdomain placeholder allowed) may stand before the path.
TILES_URL = r"^(https?)://((\{s\}\.)?[A-Za-z0-9.\-]+(:[0-9]{1,5})?)(/[^\s'\";,]*)\Z"


class WebchatSettings(Section):
    """The built-in web chat; what one browser (session) and one address may send is limited
    here (README, "What a resident may send"); every field is described in config.yaml."""

    enabled: bool = True
    poll_timeout_seconds: float = Field(25.0, gt=0, le=60)
    max_json_bytes: int = Field(512 * 1024, ge=1024)
    broadcast_batch: int = Field(500, ge=1, le=2000)  # broadcast recipients written per transaction
    broadcast_batches_per_second: float = Field(20.0, gt=0)  # leaves the one writer free for residents
    messages_per_minute_per_session: int = Field(40, ge=1)
    messages_per_minute_per_address: int = Field(300, ge=1)
    upload_mb_per_hour_per_session: int = Field(60, ge=1)
    upload_mb_per_hour_per_address: int = Field(300, ge=1)
    uploads_in_memory_mb: int = Field(100, ge=1)      # photo bytes held at once while being received
    long_polls_per_session: int = Field(3, ge=1)
    long_polls_per_address: int = Field(100, ge=1)
    long_polls_total: int = Field(500, ge=1)
    frame_ancestors: tuple[str, ...] = Field(("'self'",), min_length=1)  # who may show /chat in a frame
    # The map on which a resident points at a place: tiles from this server ("" = no map, only the
    # phone's position or a typed address); the page's CSP allows images from its host alone.
    map_tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"      # shown on the map, as the tiles' licence asks
    map_attribution_url: str = "https://www.openstreetmap.org/copyright"
    map_centre: tuple[float, float] = (50.0965, 118.0335)       # where the map opens: the town (latitude, longitude)
    map_zoom: int = Field(15, ge=1, le=19)
    map_max_zoom: int = Field(19, ge=1, le=22)                   # the tile server's deepest level

    @property
    def map_tiles_origin(self) -> str:
        """The tile server as a CSP source ("https://*.tile.example.org" for a "{s}." template)."""
        import re
        found = re.match(TILES_URL, self.map_tiles_url)
        if found is None:
            return ""
        return f"{found[1]}://{found[2].replace('{s}.', '*.')}"

    @field_validator("map_tiles_url")
    @classmethod
    def _tiles(cls, value: str) -> str:
        import re
        if value and not (re.match(TILES_URL, value) and all(f"{{{part}}}" in value for part in "zxy")):
            raise ValueError(f"{value!r}: напишите адрес плиток, например"
                             " https://tile.openstreetmap.org/{z}/{x}/{y}.png"
                             " (http или https, простое имя сервера, в адресе {z}, {x} и {y}) или \"\" — без карты")
        return value

    @field_validator("map_attribution_url")
    @classmethod
    def _attribution_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r}: нужен адрес http(s) или \"\"")
        return value

    @field_validator("map_centre")
    @classmethod
    def _centre(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError("напишите [широта, долгота]: широта в пределах ±90, долгота — ±180")
        return value

    @field_validator("frame_ancestors", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        return quoted_csp_sources(value)

    @field_validator("frame_ancestors")
    @classmethod
    def _sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_frame_ancestors(value, "frame_ancestors")
