"""Figures computed from stored reports: aggregates, indicators, overview, coverage, hotspots.

May import the kernel, storage, areas, disclosure and imports (for facility lists); never
reports, standards, export or cli.
"""
