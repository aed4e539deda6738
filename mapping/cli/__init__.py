"""The domain commands of `civicmap`: areas, reports, keys, imports, facilities, demo.

May import anything in mapping, and nothing of api or web: `api.cli` adds `serve` on top.
"""
