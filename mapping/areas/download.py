"""Getting boundary files from geoBoundaries (gbOpen, CC BY 4.0) into data/boundaries/."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mapping.errors import CivicMapError

TIMEOUT_S = 60


class DownloadFailed(CivicMapError):
    title = "Download failed"


@dataclass(frozen=True, slots=True)
class Downloaded:
    path: Path
    license: str | None
    source: str | None


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise DownloadFailed(f"{url} answered {exc.code} {exc.reason}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadFailed(
            f"Cannot reach {url} ({reason}). Are you offline? Download the boundary file by "
            "hand and load it with `civicmap areas import FILE --level N`."
        ) from None


def download(
    iso3: str, level: int, *, api_url: str, folder: Path, simplified: bool = False
) -> Downloaded:
    """Fetch the geoBoundaries file of country `iso3` at ADM `level` into `folder`."""
    iso3 = iso3.strip().upper()
    if len(iso3) != 3 or not iso3.isalpha():
        raise DownloadFailed(f"{iso3!r} is not an ISO 3166-1 alpha-3 code such as GHA.")
    meta_url = f"{api_url.rstrip('/')}/{iso3}/ADM{level}/"
    try:
        meta = json.loads(_get(meta_url))
    except json.JSONDecodeError:
        raise DownloadFailed(f"{meta_url} did not answer with JSON.") from None
    if isinstance(meta, list):
        meta = meta[0] if meta else {}
    key = "simplifiedGeometryGeoJSON" if simplified else "gjDownloadURL"
    file_url = meta.get(key) if isinstance(meta, dict) else None
    if not file_url:
        raise DownloadFailed(f"geoBoundaries has no {iso3} ADM{level} file ({meta_url}).")
    data = _get(file_url)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"geoBoundaries-{iso3}-ADM{level}{'-simplified' if simplified else ''}.geojson"
    path.write_bytes(data)
    about = {
        k: meta.get(k)
        for k in (
            "boundaryLicense",
            "boundarySource",
            "boundaryYearRepresented",
            "licenseDetail",
            "sourceDataUpdateDate",
        )
    }
    about["downloaded_from"] = file_url
    path.with_suffix(".source.json").write_text(json.dumps(about, indent=2))
    return Downloaded(path, meta.get("boundaryLicense"), meta.get("boundarySource"))
