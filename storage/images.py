"""A resident's picture made safe to keep: checked from its header, then decoded and re-encoded bare.

Why each step:
- Only the header is read first (Pillow opens lazily), so the format and the declared size are
  known before a single pixel is decoded; a "decompression bomb" (a small PNG that declares
  50,000 × 50,000 pixels) is refused without allocating it. Only the formats listed are tried,
  so no other decoder of Pillow's ever sees a resident's bytes.
- The picture is turned upright by its EXIF orientation, its colours converted to sRGB from an
  embedded ICC profile, and then written anew without EXIF, XMP, ICC or text chunks: a phone's
  photo carries the GPS position where it was taken and the device's make and model, personal
  data the resident did not mean to send.
This runs in a worker thread (``AttachmentStore.put_image``); it is CPU work on untrusted input.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Format as Pillow names it -> what is stored: (Pillow format, MIME type, file extension).
# A GIF is kept as its first frame in PNG: residents send photos, not animations.
STORED_AS = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "GIF": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
}
JPEG_QUALITY = 90  # re-encoding costs a little quality; 90 keeps it invisible at a fraction of the size


class NotAnImage(ValueError):
    """The bytes are no picture in a format we keep (JPEG, PNG, GIF, WebP), or a broken one."""


class ImageTooLarge(ValueError):
    """The picture declares more pixels than allowed (a decompression bomb, or simply too big)."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    mime_type: str
    extension: str


def sniff_image(data: bytes) -> str:
    """A first look by the leading bytes (nothing parsed or decoded), for refusing an obvious
    non-image early; returns the MIME type the bytes claim. ``clean_image`` makes the real check.

    The signatures are Pillow's own: the test each format's plugin registers, which
    ``Image.open`` runs on the same 16 leading bytes before it picks a decoder."""
    Image.init()  # the plugins register themselves on first use; WebP is not among the preloaded
    prefix = data[:16]
    for name in STORED_AS:
        _, accepts = Image.OPEN[name]
        claimed = accepts is None or accepts(prefix)
        if claimed and not isinstance(claimed, str):  # a string: the format's, but no decoder built in
            return Image.MIME[name]
    raise NotAnImage("not a JPEG, PNG, GIF or WebP image")


def clean_image(data: bytes, max_pixels: int) -> CleanImage:
    """Check, decode and re-encode ``data``; raises ``NotAnImage`` or ``ImageTooLarge``."""
    try:
        with Image.open(io.BytesIO(data), formats=list(STORED_AS)) as opened:
            width, height = opened.size  # from the header: nothing is decoded yet
            if width * height > max_pixels:
                raise ImageTooLarge(f"the picture declares {width} × {height} pixels, over {max_pixels}")
            target, mime, extension = STORED_AS[opened.format]
            picture = ImageOps.exif_transpose(opened)  # decodes; upright as the camera meant it
            picture = _in_srgb(picture, opened.info.get("icc_profile"))
    except Image.DecompressionBombError as error:  # Pillow's own ceiling, far above ours
        raise ImageTooLarge(str(error)) from None
    except ImageTooLarge:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise NotAnImage(f"not a readable JPEG, PNG, GIF or WebP image ({type(error).__name__})") from None
    return _encode(picture, target, mime, extension)


def _in_srgb(picture: Image.Image, icc: bytes | None) -> Image.Image:
    """Colours as the embedded profile meant them, in sRGB, so the profile can be left out."""
    if not icc:
        return picture
    if picture.mode not in ("RGB", "RGBA", "CMYK", "L"):
        picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
    try:
        converted = ImageCms.profileToProfile(picture, io.BytesIO(icc), ImageCms.createProfile("sRGB"),
                                              outputMode="RGBA" if picture.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture.convert("RGBA" if picture.mode == "RGBA" else "RGB")  # a broken profile: dropped
    assert converted is not None  # None only for a conversion in place, which this is not
    return converted


def _encode(picture: Image.Image, target: str, mime: str, extension: str) -> CleanImage:
    has_alpha = "A" in picture.getbands() or "transparency" in picture.info
    if target == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    elif target == "WEBP" and picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA" if has_alpha else "RGB")
    elif target == "PNG" and picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        picture = picture.convert("RGBA" if has_alpha else "RGB")
    keep = {"transparency": picture.info["transparency"]} if target == "PNG" and "transparency" in picture.info else {}
    picture.info = dict(keep.items())  # nothing of the original's metadata may travel along
    out = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if target in ("JPEG", "WEBP") else {"optimize": True}
    picture.save(out, target, **options, **keep)
    return CleanImage(out.getvalue(), mime, extension)
