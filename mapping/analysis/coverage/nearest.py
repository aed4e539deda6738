"""Great-circle distance to the nearest of many points, with a KD-tree on the unit sphere.

Points become 3-D unit vectors; the Euclidean (chord) distance between two of them is a
monotone function of the central angle, so the chord-nearest neighbour is the great-circle
nearest, and the angle is 2 asin(chord / 2). Distances are on a sphere of the mean Earth
radius: within 0.6% of the WGS84 ellipsoid's geodesic everywhere (the worst case is north-south
near the equator, where the meridian's radius of curvature is 6335 km), which coverage
thresholds of kilometres hardly notice.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius R1


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of WGS84 lon/lat degrees (taken as spherical coordinates)."""
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def nearest_m(
    lon: np.ndarray, lat: np.ndarray, to_lon: np.ndarray, to_lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each point (lon, lat), the great-circle distance in metres to the nearest point of
    (to_lon, to_lat) and that point's index; NaN and -1 everywhere when there are none."""
    if len(to_lon) == 0:
        return np.full(len(lon), np.nan), np.full(len(lon), -1, dtype=np.int64)
    tree = cKDTree(unit_vectors(to_lon, to_lat))
    chord, index = tree.query(unit_vectors(lon, lat), k=1, workers=-1)
    angle = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    return angle * EARTH_RADIUS_M, index.astype(np.int64)
