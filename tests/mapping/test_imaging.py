"""Photo cleaning: metadata stripped, orientation applied, bad and hostile files refused."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image, ImageCms

from mapping.errors import InvalidInput, TooLarge, UnsupportedMedia
from mapping.photos.imaging import PhotoLimits, clean_photo, guard_decoding

LIMITS = PhotoLimits(max_bytes=2_000_000, max_pixels=4_000_000, max_edge=256, thumb_edge=64)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'


def phone_jpeg(size: tuple[int, int] = (120, 60), orientation: int | None = None) -> bytes:
    """A JPEG as a phone writes it: EXIF with a GPS position, camera make, a comment, an ICC
    profile."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 2))  # to see a rotation
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (5.0, 33.0, 36.0), 3: "W", 4: (0.0, 8.0, 55.0)}
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home", icc_profile=icc)
    return out.getvalue()


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments before its image data (APPn, COM, DQT...)."""
    markers, i = [], 2
    while i < len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the image data follows
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        markers.append(marker)
        i += 2 + length
    return markers


def assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert {"exif", "icc_profile", "comment", "xmp"}.isdisjoint(image.info)
    markers = jpeg_segments(data)
    # APP0 (JFIF) only: no APP1 (EXIF, XMP), APP2 (ICC), other APPn, or COM (comment).
    assert [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE] == []
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"taken at home" not in data


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
