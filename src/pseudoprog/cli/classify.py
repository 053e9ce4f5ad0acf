"""``pseudoprog classify``: response of each lesion from its measurement history."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``classify`` command to ``app``."""
