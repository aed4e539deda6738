"""The taxonomy of report kinds and categories."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.auth import PUBLIC
from mapping.taxonomy import taxonomy_document

router = APIRouter(prefix="/taxonomy", tags=["taxonomy"])


@router.get(
    "",
    summary="Service categories, litter item codes with materials, hotspot themes",
    openapi_extra=PUBLIC,
)
def read_taxonomy() -> dict[str, Any]:
    return taxonomy_document()
