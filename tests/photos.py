"""Photos for the tests: a JPEG as a phone writes it (GPS and all), and the check that a stored
photo carries no metadata."""

from __future__ import annotations

import io

from PIL import ExifTags, Image, ImageCms

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
