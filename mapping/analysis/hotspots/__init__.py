"""Hotspots: the Getis-Ord Gi* statistic over hexagons, and the answer built from it."""
