"""``pseudoprog assess`` on liver lesions: Choi by default, the liver evidence, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GIST = ROOT / "examples" / "liver_gist"
#: Choi 2007 (abstract): 32 of 33 PET good responders vs 0 of 7 others; 0.5 added to each cell.
LR_FALL = (32.5 / 34) / (0.5 / 8)
LR_NO_FALL = (1.5 / 34) / (7.5 / 8)


def gist(*extra: str | Path) -> list[str | Path]:
    return [
        "assess",
        "--lesions",
        GIST / "lesions.csv",
        "--measurements",
        GIST / "measurements.csv",
        *extra,
    ]


def patients(cli: Any, *extra: str | Path) -> dict[str, Any]:
    done = cli(*gist("--evidence", GIST / "evidence.csv", "--format", "json", *extra))
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["criteria"] == "choi"  # the default of liver lesions
    return {p["patient_id"]: p["evidence_assessment"] for p in document["patients"]}


def test_the_example_as_of_the_first_ct(cli: Any) -> None:
    found = patients(cli, "--as-of", "2022-03-10")
    g01 = found["G01"]
    assert g01["question"] == "size_only_pd"
    # sizes 50 + 30 -> 62 + 36 (+22.5%); mean HU (80 + 70)/2 -> (50 + 46)/2 (-36%)
    assert g01["size_change_pct"] == pytest.approx(100 * (98 - 80) / 80, abs=0.05)
    assert g01["attenuation_change_pct"] == pytest.approx(100 * (48 - 75) / 75, abs=0.05)
    assert g01["probability_of_response"] is None
    assert g01["combined_likelihood_ratio"]["estimate"] == pytest.approx(LR_FALL, abs=1e-4)
    assert g01["pretest_for_even_odds"] == pytest.approx(1 / (1 + LR_FALL), abs=1e-4)
    favours = {e["feature"]: e["favours"] for e in g01["evidence"]}
    assert favours == {
        "attenuation_change_pct": "response",
        "fdg_pet_suv_change_pct": "response",
        "other_sites_response": "neither",
    }
    codes = [r["code"] for r in g01["recommendations"]]
    assert codes[:2] == ["do_not_stop_on_size", "same_contrast_phase"]
    assert "fdg_pet" not in codes
    assert "tumour_markers" in codes
    assert g01["next_scan_due"] == "2022-05-09"  # 2022-03-07 + 63 days
    g02 = found["G02"]
    assert g02["question"] == "pd_on_size_attenuation_fell"
    assert g02["combined_likelihood_ratio"]["estimate"] == pytest.approx(LR_NO_FALL, abs=1e-4)
    assert [e["favours"] for e in g02["evidence"]] == ["progression"] * 3
    g07 = found["G07"]  # no attenuation measured: the evidence row stands in
    assert g07["evidence"][0]["from"] == "evidence"
    assert g07["evidence"][0]["value"] == -21.0
    assert found["G04"]["question"] == "not_growing"
    assert found["G04"]["combined_likelihood_ratio"] is None


def test_explicit_choi_and_the_text_output(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "assess.txt"
    done = cli(
        *gist("--criteria", "choi", "--evidence", GIST / "evidence.csv", "--as-of", "2022-03-10"),
        "-o",
        out,
    )
    assert done.exit_code == 0, done.output
    text = out.read_text(encoding="utf-8")
    assert "Latest CT raises the question of response vs true progression" in text
    assert "Patient G01 by choi on 2022-03-07: PR" in text
    assert "No probability is given" in text


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        ("G01-L1,2022-03-07,other_sites_response,better", "value", "response, stable, progression"),
        ("G01-L1,2022-03-07,fdg_pet_suv_change_pct,lots", "value", "number"),
        ("G01-L1,2022-03-07,fdg_pet_suv_change_pct,-140", "value", "-100"),
        ("G01-L1,2021-12-01,tumour_marker_change_pct,10", "date", "treatment"),
        ("X9,2022-03-07,tumour_marker_change_pct,10", "lesion_id", "lesions table"),
    ],
)
def test_bad_liver_evidence_exits_2_and_writes_nothing(
    cli: Any, tmp_path: Path, row: str, column: str, expected: str
) -> None:
    bad = tmp_path / "evidence.csv"
    bad.write_text(f"lesion_id,date,kind,value\n{row}\n", encoding="utf-8")
    out = tmp_path / "out.json"
    done = cli(*gist("--evidence", bad, "--format", "json", "-o", out))
    assert done.exit_code == 2
    assert not out.exists()
    message = " ".join(done.output.split())
    assert str(bad.name) in message
    assert "row 2" in message
    assert f"'{column}'" in message
    assert expected in message


def test_evidence_with_criteria_without_a_route_is_refused(cli: Any) -> None:
    done = cli(*gist("--criteria", "recist1.1", "--evidence", GIST / "evidence.csv"))
    assert done.exit_code == 2
    assert "--criteria choi" in " ".join(done.output.split())
