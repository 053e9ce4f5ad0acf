"""``classify --criteria`` for patient-level criteria, and ``criteria list``/``show``.

The example cohort's responses were worked out by hand from the RECIST 1.1 rules (sums in the
comments) and are written here.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "recist"

#: RECIST 1.1 by hand: (date, overall response) per patient, then the best overall response.
HAND_RECIST = {
    # L1+L2 80 -> 55 (-31%: PR) -> 52 (PR) -> 62 (+19.2% from the nadir 52: SD)
    "R01": ([("2022-03-07", "PR"), ("2022-05-02", "PR"), ("2022-06-27", "SD")], "PR"),
    # node 18 -> 9, liver 12 -> 0: node below 10 mm, lesion gone: CR
    "R02": ([("2022-03-07", "CR"), ("2022-05-02", "CR")], "CR"),
    # 40 -> 30 (-25%: SD) -> 37 (+23%, +7 mm from the nadir 30: PD)
    "R03": ([("2022-03-07", "SD"), ("2022-05-02", "PD")], "SD"),
    # equivocal new lesion on 03-07 (SD), unequivocal on 05-02: PD
    "R04": ([("2022-03-07", "SD"), ("2022-05-02", "PD")], "SD"),
    # non-target unequivocal progression: PD
    "R05": ([("2022-03-07", "PD")], "PD"),
    # one target not evaluated: NE; then 46 of 50 (-8%): SD
    "R06": ([("2022-03-07", "NE"), ("2022-05-02", "SD")], "SD"),
    # 50 -> 62 (+24%, +12 mm: PD); later scans do not count for the best response
    "I01": ([("2022-03-07", "PD"), ("2022-04-11", "SD"), ("2022-06-06", "SD")], "PD"),
    "I02": ([("2022-03-07", "PD"), ("2022-04-11", "PD")], "PD"),
    # new bone lesions are new lesions for RECIST 1.1
    "B01": ([("2022-03-07", "PD"), ("2022-05-02", "PD")], "PD"),
    "B02": ([("2022-03-07", "PD"), ("2022-04-25", "PD")], "PD"),
}


#: iRECIST by hand from the same sums: the first RECIST progression is iUPD; a further 5 mm
#: (I02: 50 -> 56 mm) or more new lesions (B02: 2 -> 4) confirm it as iCPD; an iSD resets it
#: (I01: 62 -> 55 mm, +10% from the nadir 50 mm); iUPD then iSD is a best response of iSD.
HAND_IRECIST = {
    "R01": (["iPR", "iPR", "iSD"], "iPR"),
    "R02": (["iCR", "iCR"], "iCR"),
    "R03": (["iSD", "iUPD"], "iSD"),
    "R04": (["iSD", "iUPD"], "iSD"),
    "R05": (["iUPD"], "iUPD"),
    "R06": (["NE", "iSD"], "iSD"),
    "I01": (["iUPD", "iSD", "iSD"], "iSD"),
    "I02": (["iUPD", "iCPD"], "iCPD"),
    "B01": (["iUPD", "iUPD"], "iUPD"),
    "B02": (["iUPD", "iCPD"], "iCPD"),
}

#: PCWG3 bone by hand: B01 has 2 new bone lesions at week 8 and no more 8 weeks later (flare);
#: B02 has 2 at week 8 and 4 seven weeks later (confirmed, dated to week 8). R01's bone
#: non-target makes its scans bone scans without new lesions; the others have no bone scan.
HAND_PCWG3 = {
    "R01": (["NON-PD", "NON-PD", "NON-PD"], "NON-PD", None),
    "B01": (["NON-PD", "NON-PD"], "NON-PD", None),
    "B02": (["PD", "PD"], "PD", "2022-03-07"),
}


def args(*extra: str) -> list[str]:
    return [
        "classify",
        "--lesions",
        str(EXAMPLE / "lesions.csv"),
        "--measurements",
        str(EXAMPLE / "measurements.csv"),
        *extra,
    ]


def test_recist_json_matches_the_hand_computed_responses(run: Any) -> None:
    done = run(*args("--criteria", "recist1.1", "--format", "json"))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["criteria"] == "recist1.1"
    assert document["parameters"]["pd_increase_pct"] == 20.0
    got = {
        p["patient_id"]: (
            [(t["date"], t["response"]) for t in p["timepoints"]],
            p["best_overall_response"],
        )
        for p in document["patients"]
    }
    assert got == {k: (v[0], v[1]) for k, v in HAND_RECIST.items()}
    r01 = document["patients"][0]
    assert r01["baseline_sum_mm"] == 80.0
    assert r01["timepoints"][2]["change_from_nadir_pct"] == pytest.approx(19.2)
    assert set(r01["timepoints"][0]) >= {
        "date",
        "response",
        "target_response",
        "non_target_response",
        "new_lesions",
        "target_sum_mm",
        "change_from_baseline_pct",
        "change_from_nadir_pct",
        "reasons",
    }


def test_irecist_and_pcwg3_match_the_hand_computed_responses(cli: Any) -> None:
    irecist = json.loads(cli(*args("--criteria", "iRECIST", "--format", "json")).stdout)
    got = {
        p["patient_id"]: ([t["response"] for t in p["timepoints"]], p["best_overall_response"])
        for p in irecist["patients"]
    }
    assert got == HAND_IRECIST
    pending = {p["patient_id"]: p["pending"] for p in irecist["patients"] if p["pending"]}
    assert set(pending) == {"R03", "R04", "R05", "B01"}
    assert (pending["R05"][0]["due_from"], pending["R05"][0]["due_by"]) == (
        "2022-04-04",
        "2022-05-02",
    )
    pcwg3 = json.loads(cli(*args("--criteria", "pcwg3-bone", "--format", "json")).stdout)
    scanned = {
        p["patient_id"]: (
            [t["response"] for t in p["timepoints"]],
            p["best_overall_response"],
            p["best_response_date"],
        )
        for p in pcwg3["patients"]
        if p["timepoints"]
    }
    assert scanned == HAND_PCWG3


def test_assess_shows_what_is_pending_and_overdue(cli: Any, tmp_path: Path) -> None:
    result = cli(
        "assess",
        "--criteria",
        "irecist",
        "--lesions",
        str(EXAMPLE / "lesions.csv"),
        "--measurements",
        str(EXAMPLE / "measurements.csv"),
        "--as-of",
        "2022-03-20",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    patients = {p["patient_id"]: p for p in json.loads(result.stdout)["patients"]}
    i02 = patients["I02"]
    assert [t["response"] for t in i02["timepoints"]] == ["iUPD"]
    assert i02["pending"][0]["due_from"] == "2022-04-04"
    assert i02["pending"][0]["due_by"] == "2022-05-02"
    assert i02["overdue"] == []
    # an iUPD on 2022-03-07 and no scan since: by 2022-06-01 the window (to 2022-05-02) closed
    lesions = tmp_path / "l.csv"
    lesions.write_text("patient_id,lesion_id,treatment_date\nP,A,2022-01-10\n", encoding="utf-8")
    measurements = tmp_path / "m.csv"
    measurements.write_text(
        "lesion_id,date,size_mm\nA,2022-01-03,40\nA,2022-03-07,50\n", encoding="utf-8"
    )
    late = cli(
        "assess",
        "--criteria",
        "irecist",
        "--lesions",
        str(lesions),
        "--measurements",
        str(measurements),
        "--as-of",
        "2022-06-01",
        "--format",
        "json",
    )
    (patient,) = json.loads(late.stdout)["patients"]
    assert patient["overdue"] == [
        "OVERDUE: the confirming scan was due by 2022-05-02 (30 days before 2022-06-01)"
    ]


def test_recist_csv_has_one_row_per_timepoint(cli: Any) -> None:
    result = cli(*args("--criteria", "recist1.1", "--format", "csv"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == sum(len(v[0]) for v in HAND_RECIST.values())
    r03 = [r for r in rows if r["patient_id"] == "R03"]
    assert [(r["date"], r["response"], r["target_sum_mm"]) for r in r03] == [
        ("2022-03-07", "SD", "30.0"),
        ("2022-05-02", "PD", "37.0"),
    ]
    assert r03[1]["best_overall_response"] == "SD"


@pytest.mark.parametrize("width", [80, 120])
def test_table_fits_the_terminal(run: Any, width: int) -> None:
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("pseudoprog")
    env = {**os.environ, "COLUMNS": str(width)}
    done = subprocess.run(
        [str(exe), *args("--criteria", "recist1.1")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in done.stdout
    for patient in HAND_RECIST:
        assert patient in done.stdout
    for header in ("Patient", "Date", "Target", "Non-target", "New", "Overall", "Best"):
        assert header in done.stdout
    assert "NON_CR_NON_PD" in done.stdout
    assert "10 patients; best overall response: CR 1  PD 5  PR 1  SD 3" in done.stdout


def test_parameters_from_file_and_set(cli: Any, tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text("pr_decrease_pct = 40\nconfirmation_required = true\n", encoding="utf-8")
    result = cli(*args("--criteria", "recist", "--parameters", str(toml), "--format", "json"))
    document = json.loads(result.stdout)
    assert document["parameters"]["pr_decrease_pct"] == 40
    assert document["parameters"]["confirmation_required"] is True
    r01 = document["patients"][0]
    # 80 -> 55 is -31%, below the 40% asked for: SD now
    assert r01["timepoints"][0]["response"] == "SD"
    overridden = cli(
        *args(
            "--criteria",
            "recist",
            "--parameters",
            str(toml),
            "--set",
            "pr_decrease_pct=30",
            "--format",
            "json",
        )
    )
    assert json.loads(overridden.stdout)["patients"][0]["timepoints"][0]["response"] == "PR"


def test_unknown_parameter_is_a_clear_error(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    done = run(*args("--criteria", "recist1.1", "--set", "pr_pct=20", "--output", str(out)))
    assert done.returncode == 2
    assert "unknown parameter 'pr_pct'" in done.stderr
    assert "pr_decrease_pct" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_amini_options_are_refused_for_patient_level_criteria(run: Any) -> None:
    done = run(*args("--criteria", "recist1.1", "--error-mm", "3"))
    assert done.returncode == 2
    assert "--error-mm belong to amini2016, not recist1.1" in done.stderr


def test_unknown_criteria_lists_the_known_ones(run: Any) -> None:
    done = run(*args("--criteria", "who"))
    assert done.returncode == 2
    assert "not a known criteria set" in done.stderr
    assert "recist1.1" in done.stderr


def test_amini_refuses_lesions_off_the_spine(run: Any, tmp_path: Path) -> None:
    lesions = tmp_path / "l.csv"
    lesions.write_text(
        "patient_id,lesion_id,treatment_date,dose_gy,fractions,site\n"
        "P,A,2022-01-10,24,1,spine\nP,B,2022-01-10,20,1,brain\n",
        encoding="utf-8",
    )
    measurements = tmp_path / "m.csv"
    measurements.write_text(
        "lesion_id,date,sequence,size_mm\nA,2022-01-03,T1,20\nB,2022-01-03,T1,12\n",
        encoding="utf-8",
    )
    done = run("classify", "--lesions", lesions, "--measurements", measurements)
    assert done.returncode == 2
    assert "the lesions are of several sites (brain, spine)" in done.stderr
    forced = run(
        "classify", "--criteria", "amini2016", "--lesions", lesions, "--measurements", measurements
    )
    assert forced.returncode == 2
    assert "amini2016 applies to spine lesions; lesions B (brain) are not" in forced.stderr
    assert "srs-brain" in forced.stderr
    assert "rano-bm" in forced.stderr


def test_brain_lesions_default_to_rano_bm(run: Any, tmp_path: Path) -> None:
    lesions = tmp_path / "l.csv"
    lesions.write_text(
        "patient_id,lesion_id,treatment_date,dose_gy,fractions,site\nP,B,2022-01-10,20,1,brain\n",
        encoding="utf-8",
    )
    measurements = tmp_path / "m.csv"
    measurements.write_text(
        "lesion_id,date,sequence,size_mm,perpendicular_mm\n"
        "B,2022-01-03,T1C,20,12\nB,2022-03-07,T1C,12,8\nB,2022-04-11,T1C,11,8\n",
        encoding="utf-8",
    )
    done = run("classify", "--lesions", lesions, "--measurements", measurements, "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["criteria"] == "rano-bm"
    # 20 -> 12 -> 11 mm: 40% and 45% down, sustained 35 days later: PR at both scans
    assert [t["response"] for t in document["patients"][0]["timepoints"]] == ["PR", "PR"]


def test_bad_patient_input_writes_nothing(run: Any, tmp_path: Path) -> None:
    lesions = tmp_path / "l.csv"
    lesions.write_text(
        "patient_id,lesion_id,treatment_date,role\nP,A,2022-01-10,non_target\n", encoding="utf-8"
    )
    measurements = tmp_path / "m.csv"
    measurements.write_text("lesion_id,date,size_mm\nA,2022-01-03,12\n", encoding="utf-8")
    out = tmp_path / "out.json"
    done = run(
        "classify",
        "--criteria",
        "recist1.1",
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
    assert "row 2, column 'size_mm'" in done.stderr
    assert "non-target lesion A is given a size" in done.stderr
    assert not out.exists()


def test_criteria_list_names_every_set(cli: Any) -> None:
    result = cli("criteria", "list", "--format", "json")
    document = json.loads(result.stdout)
    by_name = {c["name"]: c for c in document["criteria"]}
    assert {"amini2016", "recist1.1"} <= set(by_name)
    assert by_name["recist1.1"]["kind"] == "patient"
    assert "Eur J Cancer 2009;45:228-247" in by_name["recist1.1"]["citation"]
    params = {p["name"]: p for p in by_name["recist1.1"]["parameters"]}
    assert params["pd_min_increase_mm"]["default"] == 5.0
    assert params["confirmation_min_days"]["default"] == 28
    assert "nadir" in params["pd_increase_pct"]["description"]
    amini = {p["name"]: p["default"] for p in by_name["amini2016"]["parameters"]}
    assert amini["error_mm"] == 2.0
    assert by_name["amini2016"]["default_for_sites"] == ["spine"]


def test_criteria_show(cli: Any) -> None:
    result = cli("criteria", "show", "RECIST 1.1")
    assert result.exit_code == 0
    assert "recist1.1 (patient level, version 1.1)" in result.stdout
    assert "pd_min_increase_mm = 5.0" in result.stdout
