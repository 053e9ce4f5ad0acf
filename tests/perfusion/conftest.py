"""Fixtures of the perfusion tests: a Parker AIF on common grids and the CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner, Result

from pseudoprog.cli import perfusion as perfusion_cli
from pseudoprog.perfusion import parker_aif


@pytest.fixture(scope="session")
def times_s() -> np.ndarray:
    """120 frames every 2.5 s (5 min)."""
    return np.arange(120) * 2.5


@pytest.fixture(scope="session")
def aif(times_s: np.ndarray) -> np.ndarray:
    """Parker plasma AIF with the bolus at 20 s."""
    return parker_aif(times_s, delay_s=20.0)


@pytest.fixture(scope="session")
def invoke() -> Callable[..., Result]:
    """Run ``pseudoprog perfusion ...`` in-process; returns the typer result."""
    app = typer.Typer()
    perfusion_cli.register(app)

    @app.callback()
    def _root() -> None:  # a group, so that "perfusion" is a sub-command
        """pseudoprog (test harness)."""

    runner = CliRunner()

    def _invoke(*args: str | Path) -> Result:
        return runner.invoke(app, ["perfusion", *map(str, args)], catch_exceptions=False)

    return _invoke
