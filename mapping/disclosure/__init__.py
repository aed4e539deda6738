"""What the public may see: the public view of a report, and suppression of small counts.

May import the kernel and storage only, so that every answer can rely on it.
"""
