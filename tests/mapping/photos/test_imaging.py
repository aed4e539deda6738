"""Photo cleaning: metadata stripped, orientation applied, bad and hostile files refused."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from mapping.errors import InvalidInput, TooLarge, UnsupportedMedia
from mapping.photos.imaging import PhotoLimits, clean_photo, guard_decoding
from tests.photos import SVG, assert_no_metadata, phone_jpeg

LIMITS = PhotoLimits(max_bytes=2_000_000, max_pixels=4_000_000, max_edge=256, thumb_edge=64)


def test_a_phone_photo_loses_its_gps_and_every_other_metadata_field() -> None:
    original = phone_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    clean = clean_photo(original, limits=LIMITS, loc=["photo", 1])
    assert_no_metadata(clean.data)
    assert_no_metadata(clean.thumb)
    assert max(Image.open(io.BytesIO(clean.thumb)).size) <= LIMITS.thumb_edge


def test_the_exif_orientation_is_applied_before_it_is_stripped() -> None:
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    clean = clean_photo(phone_jpeg((120, 60), orientation=6), limits=LIMITS, loc=["photo", 1])
    image = Image.open(io.BytesIO(clean.data))
    assert image.size == (60, 120) == (clean.width, clean.height)
    # The blue top-left quarter is now at the top right.
    r, _g, b = image.getpixel((50, 10))  # type: ignore[misc]
    assert b > 150 and r < 100


def test_large_photos_are_scaled_down_and_transparency_is_flattened() -> None:
    image = Image.new("RGBA", (1000, 500), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    clean = clean_photo(out.getvalue(), limits=LIMITS, loc=["photo", 1])
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.size == (256, 128)
    assert stored.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_stored_as_jpeg(fmt: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(out, fmt)
    clean = clean_photo(out.getvalue(), limits=LIMITS, loc=["photo", 1])
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG"


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (3000, 3000)).save(out, "PNG")  # 9 million pixels in a few kilobytes
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"not an image at all", UnsupportedMedia),
        (SVG, UnsupportedMedia),
        (_gif(), UnsupportedMedia),
        (phone_jpeg()[:600], InvalidInput),
        (b"\x00" * (LIMITS.max_bytes + 1), TooLarge),
        (_bomb(), TooLarge),
    ],
    ids=["text", "svg", "gif", "truncated", "oversized", "decompression-bomb"],
)
def test_bad_files_are_refused(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        clean_photo(data, limits=LIMITS, loc=["photo", 2])
    assert raised.value.errors[0]["loc"] == ["photo", 2]  # type: ignore[attr-defined]


def test_pillows_own_guard_is_on_with_its_warning_an_error() -> None:
    guard_decoding(5_000_000)
    try:
        # Past Pillow's cap but not twice it: Pillow itself would only warn.
        with pytest.raises(Image.DecompressionBombWarning):
            Image.open(io.BytesIO(_bomb()))
    finally:
        guard_decoding(40_000_000)
