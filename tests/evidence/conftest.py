"""Fixtures of the evidence tests: the bundled example cohort and small hand-made histories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseudoprog.cli import _register, app
from pseudoprog.domain import Lesion, LesionHistory, Sequence, Site, SizeSeries, Treatment
from pseudoprog.evidence import ModelParameters
from pseudoprog.io.cohort import Cohort, load_cohort

TREATED = date(2012, 1, 10)


@pytest.fixture(scope="session")
def cohort(example_dir: Path) -> Cohort:
    return load_cohort(
        lesions=example_dir / "lesions.csv",
        measurements=example_dir / "measurements.csv",
        events=example_dir / "events.csv",
    )


@pytest.fixture(scope="session")
def histories(cohort: Cohort) -> dict[str, LesionHistory]:
    return {h.lesion.lesion_id: h for h in cohort.histories}


@pytest.fixture(scope="session")
def fast() -> ModelParameters:
    """Fewer Monte Carlo draws, for tests that compute many estimates."""
    return ModelParameters(draws=4000)


@pytest.fixture(scope="session")
def cli() -> Callable[..., object]:
    """Invoke the ``pseudoprog`` typer application in-process."""
    _register()
    runner = CliRunner()

    def _invoke(*args: str | Path) -> object:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return _invoke


def history(
    weeks_and_sizes: list[tuple[float, float]],
    *,
    fractions: int = 1,
    site: Site = Site.SPINE,
    lesion_id: str = "L1",
) -> LesionHistory:
    """A T1 history: (weeks after treatment, size in mm); the first entry is the baseline."""
    lesion = Lesion(
        "1", lesion_id, Treatment(TREATED, 24.0 if fractions == 1 else 27.0, fractions), site=site
    )
    dates = tuple(TREATED + timedelta(days=round(w * 7)) for w, _ in weeks_and_sizes)
    sizes = tuple(s for _, s in weeks_and_sizes)
    return LesionHistory(lesion, {Sequence.T1: SizeSeries(Sequence.T1, dates, sizes)})


def on(weeks: float) -> date:
    """The date ``weeks`` after treatment."""
    return TREATED + timedelta(days=round(weeks * 7))
