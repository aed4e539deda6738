"""Dependencies shared by the routes: the engine, the settings, the ingest limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from mapping.ingest import Limits, limits_from
from mapping.settings import Settings
from mapping.storage.areas import AreaIndexCache


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
