"""Dependencies shared by the routes: the engine, the settings, the ingest limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from mapping.areas.index import AreaIndexCache
from mapping.photos.imaging import PhotoLimits
from mapping.photos.store import DirectoryPhotoStore, PhotoStore
from mapping.reports.ingest import Limits, limits_from
from mapping.settings import Settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def get_area_index(request: Request) -> AreaIndexCache:
    return request.app.state.area_index  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_limits(settings: Annotated[Settings, Depends(get_settings)]) -> Limits:
    return limits_from(settings)


AreasDep = Annotated[AreaIndexCache, Depends(get_area_index)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LimitsDep = Annotated[Limits, Depends(get_limits)]


def get_photo_store(settings: Annotated[Settings, Depends(get_settings)]) -> PhotoStore:
    """Where photos are kept: a directory for now (the store holds no state of its own)."""
    return DirectoryPhotoStore(settings.photo_dir)


def get_photo_limits(settings: Annotated[Settings, Depends(get_settings)]) -> PhotoLimits:
    return PhotoLimits(
        max_count=settings.max_photos_per_report,
        max_bytes=settings.max_photo_bytes,
        max_pixels=settings.max_photo_pixels,
        max_edge=settings.photo_max_edge,
        thumb_edge=settings.photo_thumb_edge,
    )


PhotoStoreDep = Annotated[PhotoStore, Depends(get_photo_store)]
PhotoLimitsDep = Annotated[PhotoLimits, Depends(get_photo_limits)]
