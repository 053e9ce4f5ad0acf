"""Fixtures of the statistics tests: the bundled Amini 2016 example, as a cohort and as studies."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseudoprog.io.cohort import Cohort, load_cohort
from pseudoprog.stats.study import StudyInput, StudyResult, run_study


@pytest.fixture(scope="session")
def table1_cohort(example_dir: Path) -> Cohort:
    """Table 1 of Amini et al. 2016 alone: lesions with their published responses."""
    return load_cohort(lesions=example_dir / "lesions.csv", require_measurements=False)


@pytest.fixture(scope="session")
def example_cohort(example_dir: Path) -> Cohort:
    """Table 1 with the synthetic measurement histories and events."""
    return load_cohort(
        lesions=example_dir / "lesions.csv",
        measurements=example_dir / "measurements.csv",
        events=example_dir / "events.csv",
    )


@pytest.fixture(scope="session")
def table1_study(table1_cohort: Cohort) -> StudyResult:
    return run_study(table1_cohort.lesions, sources=table1_cohort.sources)


@pytest.fixture(scope="session")
def example_study(example_cohort: Cohort) -> StudyResult:
    return run_study(
        example_cohort.lesions,
        histories=example_cohort.histories,
        events=example_cohort.events,
        events_available=True,
        synthetic_inputs={StudyInput.MEASUREMENTS, StudyInput.EVENTS},
        sources=example_cohort.sources,
    )
