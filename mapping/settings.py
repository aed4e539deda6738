"""Settings, read from the environment with the prefix `CIVICMAP_` (and from `.env`).

Only the command line and the application factory build a `Settings`; the rest of `mapping`
takes what it needs as arguments.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICMAP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///var/civicmap.sqlite",
        description="SQLAlchemy URL: `sqlite:///PATH` (SpatiaLite) or `postgresql+psycopg://...`.",
    )
    max_body_bytes: int = Field(1 * MIB, gt=0, description="Largest request body (413 past it).")
    max_bulk_body_bytes: int = Field(
        20 * MIB, gt=0, description="Largest body of a batch or import request."
    )
    max_batch_features: int = Field(5000, gt=0, description="Most features in one batch.")
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
        "CC-BY-4.0", description="Licence stated on every download and FeatureCollection."
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
