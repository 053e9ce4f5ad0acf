"""Fixtures of the report tests: studies of the bundled example and their rendered files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseudoprog.io.cohort import load_cohort
from pseudoprog.report.study import render_study
from pseudoprog.stats.study import StudyInput, StudyResult, run_study


@pytest.fixture(scope="session")
def table1_result(example_dir: Path) -> StudyResult:
    cohort = load_cohort(lesions=example_dir / "lesions.csv", require_measurements=False)
    return run_study(cohort.lesions, sources=cohort.sources)


@pytest.fixture(scope="session")
def synthetic_result(example_dir: Path) -> StudyResult:
    cohort = load_cohort(
        lesions=example_dir / "lesions.csv",
        measurements=example_dir / "measurements.csv",
        events=example_dir / "events.csv",
    )
    return run_study(
        cohort.lesions,
        histories=cohort.histories,
        events=cohort.events,
        events_available=True,
        synthetic_inputs={StudyInput.MEASUREMENTS, StudyInput.EVENTS},
        sources=cohort.sources,
    )


@pytest.fixture(scope="session")
def table1_files(table1_result: StudyResult) -> dict[str, bytes]:
    return render_study(table1_result, generated="2024-01-01 12:00")


@pytest.fixture(scope="session")
def synthetic_files(synthetic_result: StudyResult) -> dict[str, bytes]:
    return render_study(synthetic_result, generated="2024-01-01 12:00")
