"""Reports coming in: validation, the stored row, the one idempotent write, moderation, effort.

Campaigns live here too: a report or visit is checked against its campaign's window and areas;
so do their questionnaires (forms/: XLSForms, their responses and the OpenRosa documents).

May import the kernel (errors, taxonomy, schemas, hexgrid, keys), storage, areas, photos,
disclosure and alerts; never settings (it is handed policies), analysis, imports, export,
standards or cli.
"""
