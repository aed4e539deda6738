"""The command groups of `civicmap`: a domain error ends a command with its message."""

from __future__ import annotations

import click

from mapping.errors import CivicMapError


class Group(click.Group):
    """Domain errors end the command with their message, not a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CivicMapError as exc:
            raise click.ClickException(exc.detail) from None
