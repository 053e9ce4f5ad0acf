"""``pseudoprog assess``: point-of-care assessment of an enlarging lesion."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
