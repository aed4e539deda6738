"""CivicMap's domain: a kernel of small modules, and rooms that each hold one part of the work.

The kernel is errors, taxonomy, schemas, hexgrid and keys; settings sits above the rooms and
hands each its policies. The rooms are the subpackages: each says in its docstring what it
holds and what it may import, and `lint-imports` (pyproject.toml) holds them to it. This
package imports no web framework: it is usable from a notebook or a batch job.
"""

__version__ = "0.1.0"
