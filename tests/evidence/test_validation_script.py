"""The honest validation of ``benchmarks/assess_validation.py`` runs and says what it is."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "assess_validation.py"


@pytest.fixture(scope="module")
def validation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("assess_validation", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["assess_validation"] = module
    spec.loader.exec_module(module)
    return module


def test_runs_and_reports(
    validation: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "validation.json"
    assert validation.main(["--draws", "2000", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.count("SYNTHETIC") == 2  # at the top and at the bottom
    assert "Brier score" in text
    assert "AUC" in text
    assert "Calibration" in text
    results = json.loads(out.read_text())
    assert results["lesions"] == 37
    assert (results["scored"], results["opp"], results["pd"]) == (14, 5, 9)
    assert results["premature_decisions"] == []
    assert results["never_scored_enlarging"] == []
    assert 0 <= results["brier"] <= 1
    assert 0 <= results["auc"] <= 1
    assert sum(row["lesions"] for row in results["calibration"]) == 14


def test_leave_one_out_prior_and_scores(validation: ModuleType) -> None:
    from pseudoprog.evidence import ModelParameters
    from pseudoprog.io.cohort import load_cohort

    example = SCRIPT.parents[1] / "examples" / "amini2016"
    cohort = load_cohort(
        lesions=example / "lesions.csv",
        measurements=example / "measurements.csv",
        events=example / "events.csv",
    )
    results = validation.run(cohort, model=ModelParameters(draws=2000))
    by_id = {r["lesion_id"]: r for r in results["replays"]}
    # leaving an OPP lesion out leaves 4 of 7 single-fraction enlargements, a PD one 5 of 7
    assert by_id["P01-L1"]["loo_prior"] == "4/7"
    assert by_id["P01-L1"]["probability"] == pytest.approx(4.5 / 8)
    assert by_id["P04-T12"]["loo_prior"] == "5/7"
    assert by_id["P04-T12"]["probability"] == pytest.approx(5.5 / 8)
    assert by_id["P08-L4"]["probability"] == pytest.approx(0.5 / 6)
    # Brier score recomputed by hand from those three values
    expected = (5 * (1 - 4.5 / 8) ** 2 + 3 * (5.5 / 8) ** 2 + 6 * (0.5 / 6) ** 2) / 14
    assert results["brier"] == pytest.approx(expected)
    # OPP (0.5625) beat every multi-fraction PD (0.083) and lose to single-fraction PD (0.6875)
    assert results["auc"] == pytest.approx((5 * 6) / (5 * 9))


def test_auc_and_brier_helpers(validation: ModuleType) -> None:
    assert validation.auc([(0.9, 1), (0.1, 0)]) == 1.0
    assert validation.auc([(0.5, 1), (0.5, 0)]) == 0.5
    assert validation.brier([(1.0, 1), (0.0, 0)]) == 0.0
    assert validation.brier([(0.5, 1), (0.5, 0)]) == 0.25
