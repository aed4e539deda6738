"""OpenRosa requests as ODK Collect sends them, recorded in the shape the OpenRosa
specification gives them: its headers, the multipart parts, the instance XML."""

from __future__ import annotations

BOUNDARY = "----ODKCollectBoundary7f3a1c"
# The headers ODK Collect sends with every OpenRosa request.
COLLECT = {
    "X-OpenRosa-Version": "1.0",
    "Date": "Thu, 15 Jan 2026 10:12:00 GMT",
    "User-Agent": "org.odk.collect.android/v2024.3.1 Dalvik/2.1.0",
}
INSTANCE = """<?xml version='1.0' ?><data id="market_prices" version="1" \
xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">\
<market>5.5502 -0.2057 12.0 4.5</market><good>{good}</good><price>{price}</price>\
<quantity_kg>20</quantity_kg><sellers>{sellers}</sellers><seen_on>2026-01-15</seen_on>\
<note/><age_group>15-24</age_group><photo>{photo}</photo>\
<meta><instanceID>{instance_id}</instanceID></meta></data>"""


def recorded_submission(
    instance_id: str,
    *,
    good: str = "rice",
    price: str = "11.5",
    photo: bytes | None = None,
    attach: bool = True,
) -> tuple[bytes, dict[str, str]]:
    """A submission as ODK Collect posts it: the instance as `xml_submission_file` (a file
    part of type text/xml), then each media file as a part named by its file name."""
    name = "1768471920123.jpg"
    # Collect sends a question that does not apply (sellers of anything but rice) empty.
    sellers = "market_women shops" if good == "rice" else ""
    xml = INSTANCE.format(
        sellers=sellers,
        good=good,
        price=price,
        instance_id=instance_id,
        photo=name if photo else "",
    )
    parts = [
        (
            b'Content-Disposition: form-data; name="xml_submission_file"; '
            b'filename="market_prices_2026-01-15_10-12-00.xml"\r\nContent-Type: text/xml',
            xml.encode(),
        )
    ]
    if photo and attach:
        parts.append(
            (
                f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                "Content-Type: image/jpeg".encode(),
                photo,
            )
        )
    body = (
        b"".join(
            f"--{BOUNDARY}\r\n".encode() + head + b"\r\n\r\n" + data + b"\r\n"
            for head, data in parts
        )
        + f"--{BOUNDARY}--\r\n".encode()
    )
    headers = {**COLLECT, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return body, headers
