"""Bulk imports: file readers, value coercion, presets for known sources, and the demo data.

May import the kernel, storage, areas, export (its table model) and reports (to write what
it read through the one ingest path); never analysis, standards or cli.
"""
