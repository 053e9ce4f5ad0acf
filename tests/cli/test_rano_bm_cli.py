"""``classify --criteria rano-bm`` on the example cohort ``examples/brain_srs/rano_bm``.

The responses were worked out by hand from the RANO-BM rules (Lin et al. 2015) and are written
here with their sums; baseline MRI 2022-01-03, radiosurgery 2022-01-10.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "brain_srs" / "rano_bm"

#: (date, response) per patient, then the best overall response.
HAND_RANO_BM = {
    # 35 -> 22 (-37.1%) -> 20 -> 22 (+10% from the nadir 20): PR throughout, sustained 91 days;
    # dexamethasone 4 mg/day at the start, 0 from 2022-02-01 (decreased)
    "BM01": ([("2022-03-07", "PR"), ("2022-04-11", "PR"), ("2022-06-06", "PR")], "PR"),
    # the target gone from 2022-03-07, but on 2 mg/day (4 at the start): PR, sustained 70 days;
    # off steroids on 2022-05-16: CR by the images, not yet sustained -> still PR, CR pending
    "BM02": ([("2022-03-07", "PR"), ("2022-04-11", "PR"), ("2022-05-16", "PR")], "PR"),
    # 32 -> 28 (-12.5%: SD) -> 34: +21.4% from the nadir 28 and L1 16 -> 22 (+6 mm): PD
    "BM03": ([("2022-03-07", "SD"), ("2022-05-02", "PD")], "SD"),
    # 38 -> 31 -> 40: +29.0% from the nadir, but each lesion +3 mm: SD (RECIST 1.1 says PD)
    "BM04": ([("2022-03-07", "SD"), ("2022-05-02", "SD")], "SD"),
    # 18 -> 17 -> 16 with dexamethasone 0 -> 4 -> 2 mg/day: SD, a steroid increase alone
    "BM05": ([("2022-03-07", "SD"), ("2022-05-02", "SD")], "SD"),
    # 15 -> 19 (+26.7%, +4 mm: SD) -> 23 (+53.3%, +8 mm: PD), clinically worse on 2022-08-01
    "BM06": ([("2022-05-09", "SD"), ("2022-08-08", "PD")], "SD"),
    # 14 -> 13 -> 13, clinically worse on 2022-04-01: PD on 2022-04-11
    "BM07": ([("2022-03-07", "SD"), ("2022-04-11", "PD")], "SD"),
    # 20 -> 13 (-35%: PR by the images) -> new lesion 28 days later: PD; the PR not sustained
    "BM08": ([("2022-03-07", "SD"), ("2022-04-04", "PD")], "SD"),
}


def args(*extra: str, events: bool = True) -> list[str]:
    given = [
        "classify",
        "--criteria",
        "rano-bm",
        "--lesions",
        str(EXAMPLE / "lesions.csv"),
        "--measurements",
        str(EXAMPLE / "measurements.csv"),
    ]
    if events:
        given += ["--events", str(EXAMPLE / "events.csv")]
    return [*given, *extra]


def _by_patient(document: dict[str, Any]) -> dict[str, Any]:
    return {p["patient_id"]: p for p in document["patients"]}


def test_json_matches_the_hand_computed_responses(run: Any) -> None:
    done = run(*args("--format", "json"))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["criteria"] == "rano-bm"
    assert document["parameters"]["pd_lesion_increase_mm"] == 5.0
    assert document["parameters"]["sustain_days"] == 28
    patients = _by_patient(document)
    got = {
        k: ([(t["date"], t["response"]) for t in p["timepoints"]], p["best_overall_response"])
        for k, p in patients.items()
    }
    assert got == HAND_RANO_BM
    assert patients["BM04"]["timepoints"][1]["change_from_nadir_pct"] == pytest.approx(29.0)
    assert patients["BM03"]["timepoints"][1]["change_from_nadir_pct"] == pytest.approx(21.4)
    assert [p["what"] for p in patients["BM02"]["pending"]] == ["CR sustained"]
    assert patients["BM02"]["pending"][0]["due_from"] == "2022-06-13"
    codes = {
        k: [r["code"] for t in p["timepoints"] for r in t["reasons"]] for k, p in patients.items()
    }
    assert "steroids_block_cr" in codes["BM02"]
    assert "steroid_increase_not_pd" in codes["BM05"]
    assert "clinical_deterioration" in codes["BM06"]
    assert "clinical_deterioration" in codes["BM07"]
    assert "not_sustained" in codes["BM08"]
    assert all(not p["warnings"] for p in patients.values())


def test_without_events_the_conditions_are_unknown(cli: Any) -> None:
    result = cli(*args("--format", "json", events=False))
    assert result.exit_code == 0, result.output
    patients = _by_patient(json.loads(result.stdout))
    bm02 = patients["BM02"]
    assert [t["response"] for t in bm02["timepoints"]] == ["CR", "CR", "CR"]
    assert bm02["best_overall_response"] == "CR"
    # BM07's deterioration is in the events table only: the images alone are SD
    assert [t["response"] for t in patients["BM07"]["timepoints"]] == ["SD", "SD"]
    for p in patients.values():
        assert [w["code"] for w in p["warnings"]] == ["events_not_recorded"]


def test_the_table_names_the_criteria(cli: Any) -> None:
    result = cli(*args())
    assert result.exit_code == 0, result.output
    assert "rano-bm" in result.stdout
    assert "8 patients; best overall response: PR 2  SD 6" in result.stdout


def test_a_target_not_measurable_is_refused_with_row_and_column(run: Any, tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(
        "patient_id,lesion_id,treatment_date,role,organ\n"
        "P,A,2022-01-10,target,brain\n"
        "P,B,2022-01-10,target,brain\n"
        "P,C,2022-01-10,target,brain\n",
        encoding="utf-8",
    )
    measurements = tmp_path / "measurements.csv"
    measurements.write_text(
        "lesion_id,date,size_mm,perpendicular_mm\n"
        "A,2022-01-03,14,4\n"
        "B,2022-01-03,12,\n"
        "C,2022-01-03,9,8\n"
        "A,2022-03-07,10,\n"
        "B,2022-03-07,10,\n"
        "C,2022-03-07,9,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    done = run(
        "classify",
        "--criteria",
        "rano-bm",
        "--lesions",
        lesions,
        "--measurements",
        measurements,
        "--format",
        "json",
        "--output",
        out,
    )
    assert done.returncode == 2
    text = " ".join(done.stderr.split())
    assert "row 2, column 'lesion_id'" in text
    assert "perpendicular diameter 4 mm, RANO-BM needs at least 5 mm" in text
    assert "row 3, column 'lesion_id'" in text
    assert "perpendicular diameter none given" in text
    assert "row 4, column 'lesion_id'" in text
    assert "longest diameter 9 mm, at least 10 mm needed" in text
    assert not out.exists()


def test_criteria_list_shows_the_brain_default(cli: Any) -> None:
    document = json.loads(cli("criteria", "list", "--format", "json").stdout)
    entry = {c["name"]: c for c in document["criteria"]}["rano-bm"]
    assert entry["default_for_sites"] == ["brain"]
    assert entry["citation"] == "Lin NU, Lee EQ, Aoyama H, et al. Lancet Oncol 2015;16:e270-e278"
    shown = cli("criteria", "show", "RANO-BM").stdout
    assert "pd_lesion_increase_mm = 5.0" in shown
