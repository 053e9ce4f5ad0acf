"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = REPO_ROOT / "examples" / "amini2016"

#: Under CI (``CI=true``) hypothesis draws the same examples on every run, so that a run of
#: ``make test`` with ``CI=true`` on a fresh clone checks exactly what CI will check. Local
#: runs explore new examples each time (and keep failing ones in ``.hypothesis/``).
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if IN_CI:
    settings.load_profile("ci")

#: The fuzz tests (tests/fuzz_strategies.py) run a small profile; benchmarks/fuzz.py runs
#: tens of thousands of inputs. Tests pick it with ``settings(settings.get_profile("fuzz"))``.
settings.register_profile(
    "fuzz",
    max_examples=40,
    deadline=None,
    derandomize=IN_CI,
    database=None if IN_CI else settings.default.database,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture(scope="session")
def example_dir() -> Path:
    """The bundled Amini 2016 example (Table 1 with synthetic histories)."""
    return EXAMPLE_DIR
