"""Turning an uploaded photo into a safe one: decode with caps, orient, strip, re-encode.

Uploads come from anyone, so decoding is the risky part: only JPEG, PNG and WebP decoders are
allowed (no SVG, no formats with exotic or external decoders), the pixel count is checked
before any pixel is decoded, and Pillow's own decompression-bomb guard stays on with its
warning made an error. What is stored is a new JPEG built from the pixels alone: no EXIF (so no
GPS position or camera serial), no XMP, no ICC profile, no comments.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

from mapping.errors import InvalidInput, TooLarge, UnsupportedMedia

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
STORED_MEDIA_TYPE = "image/jpeg"
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True, slots=True)
class PhotoLimits:
    """Caps for uploaded photos (from Settings)."""

    max_count: int = 3
    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_edge: int = 2048
    thumb_edge: int = 320
    quality: int = 85


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    """A re-encoded photo and its thumbnail, both JPEG without metadata."""

    data: bytes
    thumb: bytes
    width: int
    height: int


def guard_decoding(max_pixels: int) -> None:
    """Set Pillow's process-wide decompression-bomb guard: its pixel cap from the settings, and
    its warning (past the cap; an error only comes past twice the cap) raised as an error."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def clean_photo(data: bytes, *, limits: PhotoLimits, loc: list[str | int]) -> CleanPhoto:
    """Decode `data` (JPEG, PNG or WebP bytes) and re-encode it as a JPEG with no metadata, the
    EXIF orientation applied, scaled to `limits.max_edge`, with a thumbnail.

    Raises TooLarge (bytes or pixels over the caps), UnsupportedMedia (not one of the accepted
    formats), InvalidInput (truncated or corrupt); `loc` names the photo in the errors.
    """
    if len(data) > limits.max_bytes:
        raise TooLarge(
            f"A photo is {len(data)} bytes; at most {limits.max_bytes} are allowed.",
            [{"loc": loc, "msg": f"larger than {limits.max_bytes} bytes"}],
        )
    image = _open(data, limits=limits, loc=loc)
    try:
        image.load()
        image = ImageOps.exif_transpose(image) or image
        pixels = _to_srgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(loc, limits) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise _broken(loc) from None
    pixels.thumbnail((limits.max_edge, limits.max_edge), Image.Resampling.LANCZOS)
    thumb = pixels.copy()
    thumb.thumbnail((limits.thumb_edge, limits.thumb_edge), Image.Resampling.LANCZOS)
    return CleanPhoto(
        data=_jpeg(pixels, limits.quality),
        thumb=_jpeg(thumb, limits.quality),
        width=pixels.width,
        height=pixels.height,
    )


def _open(data: bytes, *, limits: PhotoLimits, loc: list[str | int]) -> Image.Image:
    """Open lazily (header only) with the accepted decoders, and check the pixel count before
    anything is decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(loc, limits) from None
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UnsupportedMedia(
            "A photo is not a JPEG, PNG or WebP image.",
            [{"loc": loc, "msg": "not a JPEG, PNG or WebP image"}],
        ) from None
    if image.width * image.height > limits.max_pixels:
        raise _too_many_pixels(loc, limits)
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """The pixels alone, as RGB in sRGB, in a new image that carries no `info` at all.

    Phones tag photos with wide-gamut ICC profiles; the profile is dropped with the rest of the
    metadata, so its colours are converted to sRGB first rather than shown wrong.
    """
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = image.convert("RGB")
    profile = image.info.get("icc_profile")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            flat = ImageCms.profileToProfile(flat, source, _SRGB, outputMode="RGB") or flat
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # An unreadable profile: keep the pixels as they are.
    clean = Image.new("RGB", flat.size)
    clean.paste(flat)
    return clean


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _too_many_pixels(loc: list[str | int], limits: PhotoLimits) -> TooLarge:
    return TooLarge(
        f"A photo has more than {limits.max_pixels} pixels; send a smaller image.",
        [{"loc": loc, "msg": f"more than {limits.max_pixels} pixels"}],
    )


def _broken(loc: list[str | int]) -> InvalidInput:
    return InvalidInput(
        "A photo could not be decoded: the file is truncated or corrupt.",
        [{"loc": loc, "msg": "truncated or corrupt image"}],
    )
