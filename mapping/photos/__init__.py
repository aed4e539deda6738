"""Photos attached to reports: decoding with caps, re-encoding without metadata, the file store.

May import the kernel and storage only.
"""
