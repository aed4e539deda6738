"""Releases: dated, immutable snapshots of the indicator tables that an office can cite."""
