"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = REPO_ROOT / "examples" / "amini2016"


@pytest.fixture(scope="session")
def example_dir() -> Path:
    """The bundled Amini 2016 example (Table 1 with synthetic histories)."""
    return EXAMPLE_DIR
