"""The ``pseudoprog`` command.

Each sub-command lives in its own module and registers itself on :data:`app`.
"""

from __future__ import annotations

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="pseudoprog",
    help="Tell pseudoprogression from true progression on serial imaging after treatment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from pseudoprog.cli import (
        assess,
        best_response,
        classify,
        criteria,
        interop,
        pacs,
        perfusion,
        serve,
        study,
    )

    for module in (
        classify,
        criteria,
        best_response,
        study,
        assess,
        perfusion,
        serve,
        interop,
        pacs,
    ):
        module.register(app)


def main() -> None:
    """Entry point of the console script."""
    _register()
    app()
