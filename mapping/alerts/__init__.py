"""Telling people about new reports: Atom feeds, webhook subscriptions and their delivery.

May import the kernel, storage and disclosure (only the public view of a report leaves).
"""
