"""Dependencies shared by the routes: the engine, the settings, the policies built from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from api.replica import read_engine
from mapping.areas.index import AreaIndexCache
from mapping.photos.imaging import PhotoLimits
from mapping.photos.store import DirectoryPhotoStore, PhotoStore
from mapping.reports.effort import EffortLimits
from mapping.reports.rows import Limits
from mapping.settings import Policies, Settings


def get_engine(request: Request) -> Engine:
    """The primary, or for the reads api.replica lets go there, the read replica."""
    return read_engine(request.scope, request.app.state.engine)


def get_area_index(request: Request) -> AreaIndexCache:
    """The stored areas, from the database this request reads (api.replica)."""
    state = request.app.state
    if state.replica is not None and read_engine(request.scope, state.engine) is not state.engine:
        return state.replica_areas  # type: ignore[no-any-return]
    return state.area_index  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_policies(request: Request) -> Policies:
    return request.app.state.policies  # type: ignore[no-any-return]


def get_limits(policies: Annotated[Policies, Depends(get_policies)]) -> Limits:
    return policies.ingest


def get_effort_limits(policies: Annotated[Policies, Depends(get_policies)]) -> EffortLimits:
    return policies.effort


AreasDep = Annotated[AreaIndexCache, Depends(get_area_index)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PoliciesDep = Annotated[Policies, Depends(get_policies)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
EffortLimitsDep = Annotated[EffortLimits, Depends(get_effort_limits)]


def get_photo_store(settings: Annotated[Settings, Depends(get_settings)]) -> PhotoStore:
    """Where photos are kept: a directory for now (the store holds no state of its own)."""
    return DirectoryPhotoStore(settings.photo_dir)


def get_photo_limits(policies: Annotated[Policies, Depends(get_policies)]) -> PhotoLimits:
    return policies.photos


PhotoStoreDep = Annotated[PhotoStore, Depends(get_photo_store)]
PhotoLimitsDep = Annotated[PhotoLimits, Depends(get_photo_limits)]
