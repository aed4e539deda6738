"""CivicMap's domain: report schemas and taxonomy, storage, H3 and areas, aggregation, export.

This package imports no web framework; it is usable from a notebook or a batch job.
"""

__version__ = "0.1.0"
