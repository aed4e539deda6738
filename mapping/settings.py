"""Settings, read from the environment with the prefix `CIVICMAP_` (and from `.env`).

Only the command line and the application factory build a `Settings`. The rest of `mapping`
never sees it: it takes the small policy dataclasses of `Policies` (ingest limits, effort,
photos, webhook delivery), built here once from the settings, or plain arguments.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mapping.alerts.delivery import DeliveryPolicy
from mapping.photos.imaging import PhotoLimits
from mapping.reports.effort import EffortLimits
from mapping.reports.rows import Limits

MIB = 1024 * 1024


def comma_list(value: Any) -> Any:
    """A list setting as the environment gives it, `a,b, c`; a list as given stays one."""
    if isinstance(value, str):
        return [part for part in value.replace(" ", "").split(",") if part]
    return value


def _backend(url: str) -> str | None:
    """The database a SQLAlchemy URL names (`sqlite`, `postgresql`); None if it is none."""
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        return None


class Settings(BaseSettings):
    # An error names the setting and what is wrong, without echoing values: the database URLs
    # hold passwords, and startup errors end up in logs.
    model_config = SettingsConfigDict(
        env_prefix="CIVICMAP_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        "sqlite:///var/civicmap.sqlite",
        description="SQLAlchemy URL: `sqlite:///PATH` (SpatiaLite) or `postgresql+psycopg://...`.",
    )
    read_database_url: str = Field(
        "",
        description="A PostgreSQL streaming replica of the database, which map, aggregate and "
        "listing reads may use (`postgresql+psycopg://...`); empty for none.",
    )
    read_max_lag_s: float = Field(
        5.0,
        ge=0.5,
        le=3600,
        description="Reads go to the primary while the replica may miss more than this many "
        "seconds of its changes.",
    )
    spatialite_library: str = Field(
        "mod_spatialite",
        # SPATIALITE_LIBRARY_PATH is the name other GIS tools read; either is taken.
        validation_alias=AliasChoices("CIVICMAP_SPATIALITE_LIBRARY", "SPATIALITE_LIBRARY_PATH"),
        description="The SpatiaLite extension SQLite loads: a name on the library path, or a file.",
    )
    max_body_bytes: int = Field(1 * MIB, gt=0, description="Largest request body (413 past it).")
    max_bulk_body_bytes: int = Field(
        20 * MIB, gt=0, description="Largest body of a batch or import request."
    )
    body_idle_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="A client that sends nothing of its body for this long is answered 408.",
    )
    max_batch_features: int = Field(5000, gt=0, description="Most features in one batch.")
    max_import_bytes: int = Field(
        100 * MIB,
        gt=0,
        description="Largest file `reports import` reads, and largest file unpacked from an "
        "archive (KMZ, zip) by any import.",
    )
    page_limit_default: int = Field(1000, gt=0, description="Page size when `limit` is not given.")
    page_limit_max: int = Field(10000, gt=0, description="Largest `limit` a client may ask for.")
    max_text_chars: int = Field(2000, gt=0, description="Longest free-text field, in characters.")
    anonymous_writes_per_minute: int = Field(
        60, ge=0, description="Anonymous writes allowed per client address and minute."
    )
    key_writes_per_minute: int = Field(
        600, ge=1, description="Writes allowed per API key and minute."
    )
    duplicate_distance_m: float = Field(
        50.0, ge=0, description="Reports this close (metres) to an earlier one may be duplicates."
    )
    duplicate_window_hours: float = Field(
        24.0, ge=0, description="...and observed this close in time (hours) to it."
    )
    burst_reports: int = Field(
        20, ge=1, description="More reports than this from one sender in the burst window: flag."
    )
    burst_window_s: float = Field(600.0, gt=0, description="The burst window, in seconds.")
    old_observation_days: float = Field(
        365.0, gt=0, description="Reports observed longer ago than this get `old_observation`."
    )
    suppression_threshold: int = Field(
        5, ge=1, description="Aggregates counting fewer reports than this are suppressed."
    )
    washington_group_domains: list[
        Literal["seeing", "hearing", "walking", "cognition", "self_care", "communication"]
    ] = Field(
        ["seeing", "hearing", "walking", "cognition", "self_care", "communication"],
        min_length=1,
        description="Washington Group domains whose 'a lot of difficulty' or 'cannot do at "
        "all' counts as disability in SDG 16.6.2 (the short set's six by default).",
    )
    max_aggregate_cells: int = Field(
        100_000, gt=0, description="Most hexagons in one aggregate answer (400 past it)."
    )
    public_h3_resolution: int = Field(
        7, ge=0, le=15, description="H3 resolution at which the public sees sensitive reports."
    )
    low_accuracy_m: float = Field(
        500.0, gt=0, description="GPS accuracy (metres) above which a report is flagged."
    )
    data_license: str = Field(
        "CC-BY-4.0",
        description="Licence of citizen reports sent here; answers state it when every "
        "contributing source shares it, else 'see sources'.",
    )
    geoboundaries_url: str = Field(
        "https://www.geoboundaries.org/api/current/gbOpen",
        description="geoBoundaries API that `civicmap areas download` asks.",
    )
    tile_url: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="XYZ tile URL of the pages' background map; empty for none.",
    )
    tile_attribution: str = Field(
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        description="Attribution of the background map, as HTML (it is shown as given).",
    )
    host: str = Field("127.0.0.1", description="Address `civicmap serve` listens on.")
    port: int = Field(8000, gt=0, lt=65536, description="Port `civicmap serve` listens on.")
    max_analysis_cells: int = Field(
        1_000_000,
        gt=0,
        description="Most hexagons coverage fills its study area with (400 past it).",
    )
    # Campaigns, photos, observer effort and alerts.
    photo_dir: str = Field(
        "var/photos", description="Directory that holds stored photos and their thumbnails."
    )
    max_photos_per_report: int = Field(3, ge=0, le=10, description="Most photos on one report.")
    max_photo_bytes: int = Field(8 * MIB, gt=0, description="Largest photo file (413 past it).")
    max_photo_pixels: int = Field(
        40_000_000,
        gt=0,
        description="Most pixels a photo may decode to (Pillow's decompression-bomb cap).",
    )
    photo_max_edge: int = Field(
        2048, ge=64, description="Stored photos are scaled down to this longest edge (pixels)."
    )
    photo_thumb_edge: int = Field(320, ge=16, description="Longest edge of a thumbnail (pixels).")
    photo_cache_seconds: int = Field(
        600, ge=0, description="How long caches may keep a public photo (Cache-Control max-age)."
    )
    cache_max_age_s: int = Field(
        0,
        ge=0,
        description="How long caches may keep a public map or aggregate answer without asking "
        "again (0: they ask each time, and get 304 while the data is unchanged).",
    )
    effort_h3_resolution: int = Field(
        12, ge=7, le=15, description="H3 resolution at which observer effort tracks are stored."
    )
    max_effort_track_km: float = Field(
        50.0, gt=0, description="Longest effort track accepted in one visit (kilometres)."
    )
    webhook_worker_interval_s: float = Field(
        2.0,
        ge=0,
        description="How often the in-process webhook worker looks for due deliveries"
        " (0: no worker in this process).",
    )
    webhook_backoff_base_s: float = Field(
        30.0, gt=0, description="First retry delay of a failed webhook delivery; doubles after."
    )
    webhook_backoff_max_s: float = Field(
        3600.0, gt=0, description="Longest delay between two attempts of one delivery."
    )
    webhook_max_attempts: int = Field(
        10, ge=1, description="Attempts of one webhook delivery before it is marked failed."
    )
    webhook_timeout_s: float = Field(
        10.0, gt=0, description="How long one webhook POST may take before it counts as failed."
    )

    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        [],
        description="Addresses or networks of reverse proxies whose X-Forwarded-For is believed,"
        " comma-separated (none by default: the client's own address counts).",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        """`10.0.0.1,192.168.0.0/16` from the environment; each an IP address or network."""
        return [str(ipaddress.ip_network(v, strict=False)) for v in comma_list(value)]

    webhook_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        [],
        description="Hosts that may receive webhooks though they resolve to loopback, private or"
        " other non-public addresses, comma-separated (none by default).",
    )

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        return [v.lower() for v in comma_list(value) if v]

    ogc_hex_resolutions: Annotated[list[int], NoDecode] = Field(
        [4, 6, 8],
        description="H3 resolutions served as OGC API collections `hexes-r{R}`, comma-separated.",
    )

    @field_validator("ogc_hex_resolutions", mode="before")
    @classmethod
    def _resolutions(cls, value: Any) -> Any:
        """`4,6,8` from the environment; every resolution in 0..15, each once, in order."""
        resolutions = sorted({int(v) for v in comma_list(value)})
        if any(not 0 <= r <= 15 for r in resolutions):
            raise ValueError("H3 resolutions lie in 0..15")
        return resolutions

    @model_validator(mode="after")
    def _replica_of_postgres(self) -> Settings:
        """A read replica is PostgreSQL's streaming replica of a PostgreSQL primary: SpatiaLite
        is one file in one process's reach and has none, so a read URL beside it is a mistake
        that is refused at startup rather than ignored."""
        if not self.read_database_url:
            return self
        if _backend(self.database_url) != "postgresql":
            raise ValueError(
                "CIVICMAP_READ_DATABASE_URL is only for a PostgreSQL primary; SpatiaLite has no "
                "replicas: leave it empty, or set CIVICMAP_DATABASE_URL to postgresql+psycopg://..."
            )
        if _backend(self.read_database_url) != "postgresql":
            raise ValueError(
                "CIVICMAP_READ_DATABASE_URL names a PostgreSQL streaming replica: "
                "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
            )
        return self

    @property
    def max_upload_body_bytes(self) -> int:
        """The body cap of a report sent with photos: the feature's own cap, each photo's, and
        room for the multipart framing around them."""
        return self.max_body_bytes + self.max_photos_per_report * self.max_photo_bytes + 64 * 1024

    def policies(self) -> Policies:
        """The policies the core takes, read from these settings once."""
        return Policies(
            ingest=Limits(
                max_text_chars=self.max_text_chars,
                max_batch_features=self.max_batch_features,
                low_accuracy_m=self.low_accuracy_m,
                old_observation_days=self.old_observation_days,
                duplicate_distance_m=self.duplicate_distance_m,
                duplicate_window_s=self.duplicate_window_hours * 3600,
                burst_reports=self.burst_reports,
                burst_window_s=self.burst_window_s,
                public_resolution=self.public_h3_resolution,
            ),
            effort=EffortLimits(
                resolution=self.effort_h3_resolution,
                max_track_m=self.max_effort_track_km * 1000,
            ),
            photos=PhotoLimits(
                max_count=self.max_photos_per_report,
                max_bytes=self.max_photo_bytes,
                max_pixels=self.max_photo_pixels,
                max_edge=self.photo_max_edge,
                thumb_edge=self.photo_thumb_edge,
            ),
            delivery=DeliveryPolicy(
                backoff_base_s=self.webhook_backoff_base_s,
                backoff_max_s=self.webhook_backoff_max_s,
                max_attempts=self.webhook_max_attempts,
                timeout_s=self.webhook_timeout_s,
                public_resolution=self.public_h3_resolution,
                allowed_hosts=frozenset(self.webhook_allowed_hosts),
            ),
        )


@dataclass(frozen=True, slots=True)
class Policies:
    """What the core is told by the settings, one dataclass per room that needs rules."""

    ingest: Limits
    effort: EffortLimits
    photos: PhotoLimits
    delivery: DeliveryPolicy
