"""Reports coming in: the one idempotent write, quality flags, moderation, campaigns, effort.

May import the kernel (settings, errors, taxonomy, schemas, hexgrid, keys), storage, areas,
photos, disclosure and alerts; never analysis, imports, export, standards or cli.
"""
