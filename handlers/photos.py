"""What to tell a resident whose photo was not kept: the dispatcher notes the reason on the photo
(``Photo.refused``), each step that asks for photos says it with these words."""
from __future__ import annotations

from bot.core.routing import Context


def refusal(ctx: Context) -> str | None:
    """The reason the first refused photo of this message was not kept, in the resident's words."""
    reason = next((photo.refused for photo in ctx.event.photos if photo.refused), "")
    return ctx.t(f"photo_refused.{reason}") if reason else None


def not_kept(ctx: Context) -> str:
    """For a message none of whose photos was kept: the reason, or a plain "could not save"."""
    return refusal(ctx) or ctx.t("photo_refused.unavailable")
