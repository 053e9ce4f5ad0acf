"""Running the real ``pseudoprog`` command in tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseudoprog.cli import _register, app


@pytest.fixture(scope="session")
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``pseudoprog ARGS...`` as a subprocess, the way a user does."""
    exe = Path(sys.executable).with_name("pseudoprog")

    def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(exe), *map(str, args)], capture_output=True, text=True, check=False
        )

    return _run


@pytest.fixture(scope="session")
def cli() -> Callable[..., object]:
    """Invoke the typer application in-process (faster than a subprocess)."""
    _register()
    runner = CliRunner()

    def _invoke(*args: str | Path) -> object:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return _invoke
