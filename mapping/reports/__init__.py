"""Reports coming in: validation, the stored row, the one idempotent write, moderation, effort.

Campaigns live here too: a report or visit is checked against its campaign's window and areas.

May import the kernel (errors, taxonomy, schemas, hexgrid, keys), storage, areas, photos,
disclosure and alerts; never settings (it is handed policies), analysis, imports, export,
standards or cli.
"""
