"""``pseudoprog perfusion``: DCE-MRI kinetic model fitting (sub-commands ``fit``, ``change``)."""

from __future__ import annotations

import typer

__all__ = ["register"]

perfusion_app = typer.Typer(help="DCE-MRI perfusion: fit kinetic models, compare visits.")


def register(app: typer.Typer) -> None:
    """Add the ``perfusion`` command group to ``app``."""
    app.add_typer(perfusion_app, name="perfusion")
