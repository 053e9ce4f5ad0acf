"""``classify --criteria choi/mrecist``, ``--compare recist1.1``, and bad liver input.

The responses of ``examples/liver_gist`` (Choi) and ``examples/liver_hcc`` (mRECIST) were worked
out by hand from the rules; the sums and attenuations are in the comments. Baseline CT
2022-01-03, treatment start 2022-01-10.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
GIST = ROOT / "examples" / "liver_gist"
HCC = ROOT / "examples" / "liver_hcc"

Course = tuple[list[tuple[str, str]], str]

#: Choi by hand (size from the nadir, mean HU from baseline), then RECIST 1.1 on the same data.
HAND_CHOI: dict[str, Course] = {
    # 80 -> 98 mm (+22.5%), HU 75 -> 48 (-36%): PR; 92 (+15%), 45 (-40%); 82, 43 (-42.7%)
    "G01": ([("2022-03-07", "PR"), ("2022-05-09", "PR"), ("2022-07-04", "PR")], "PR"),
    # 40 -> 46 (+15%), 60 -> 58 HU (-3.3%): PD; 55 (+37.5%), 62 HU: PD
    "G02": ([("2022-03-07", "PD"), ("2022-05-09", "PD")], "PD"),
    # 45 -> 44, 70 -> 50 HU (-28.6%): PR; a new intratumoral nodule: PD
    "G03": ([("2022-03-07", "PR"), ("2022-05-09", "PD")], "PR"),
    # 60 -> 52 (-13.3%): PR by size; 40 (-33.3%): PR
    "G04": ([("2022-03-07", "PR"), ("2022-05-09", "PR")], "PR"),
    # 35 -> 34, HU -7.7%: SD; a new lesion: PD
    "G05": ([("2022-03-07", "SD"), ("2022-05-09", "PD")], "SD"),
    # 42 -> 43 (+2.4%, HU -8.8%), 45 (+7.1%, HU -11.8%): SD, SD
    "G06": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
    # 40 -> 45 (+12.5%) without HU: NE; 44 (+10% from the nadir 40), 70 -> 55 HU (-21.4%): PR
    "G07": ([("2022-03-07", "NE"), ("2022-05-09", "PR")], "PR"),
    # 25 -> 12 (-52%): PR with the non-target present; 0 and the non-target gone: CR
    "G08": ([("2022-03-07", "PR"), ("2022-05-09", "CR")], "CR"),
    # 50 -> 56 (+12%), 75 -> 57 HU (-24%): PR
    "G09": ([("2022-03-07", "PR")], "PR"),
    # 50 -> 40 (-20%): PR; 46: +15% from the nadir 40, HU -2.9%: PD
    "G10": ([("2022-03-07", "PR"), ("2022-05-09", "PD")], "PR"),
}
HAND_RECIST: dict[str, Course] = {
    # 80 -> 98: +22.5% and +18 mm: PD; 92 (+15% of the nadir 80): SD; 82: SD
    "G01": ([("2022-03-07", "PD"), ("2022-05-09", "SD"), ("2022-07-04", "SD")], "PD"),
    # 40 -> 46 (+15%): SD; 55 (+37.5%, +15 mm): PD
    "G02": ([("2022-03-07", "SD"), ("2022-05-09", "PD")], "SD"),
    "G03": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
    # 60 -> 52 (-13.3%): SD; 40 (-33.3%): PR
    "G04": ([("2022-03-07", "SD"), ("2022-05-09", "PR")], "PR"),
    "G05": ([("2022-03-07", "SD"), ("2022-05-09", "PD")], "SD"),
    "G06": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
    "G07": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
    "G08": ([("2022-03-07", "PR"), ("2022-05-09", "CR")], "CR"),
    "G09": ([("2022-03-07", "SD")], "SD"),
    # 50 -> 40 (-20%): SD; 46 (+15%, +6 mm of the nadir 40): SD
    "G10": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
}
#: mRECIST by hand on the viable diameters, then RECIST 1.1 on the whole-lesion sizes.
HAND_MRECIST: dict[str, Course] = {
    # viable 40 -> 20 (-50%): PR; 0: CR (the lesion 40 -> 50 -> 50 mm)
    "H01": ([("2022-03-07", "PR"), ("2022-05-09", "CR")], "CR"),
    # 35 -> 30 (-14.3%): SD; 37: +23.3% of the nadir 30: PD
    "H02": ([("2022-03-07", "SD"), ("2022-05-09", "PD")], "SD"),
    # 15 -> 12 (-20%): SD; 15: +25% and +3 mm of the nadir 12: PD (no 5 mm floor)
    "H03": ([("2022-03-07", "SD"), ("2022-05-09", "PD")], "SD"),
    # 45 -> 30 (-33.3%): PR with the non-target enhancing; 0 and none enhancing: CR
    "H04": ([("2022-03-07", "PR"), ("2022-05-09", "CR")], "CR"),
}
HAND_RECIST_HCC: dict[str, Course] = {
    # 40 -> 50: +25% and +10 mm: PD; 50 again (the nadir stays 40): PD
    "H01": ([("2022-03-07", "PD"), ("2022-05-09", "PD")], "PD"),
    "H02": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
    "H03": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
    "H04": ([("2022-03-07", "SD"), ("2022-05-09", "SD")], "SD"),
}


def gist(*extra: str) -> list[str]:
    return [
        "classify",
        "--lesions",
        str(GIST / "lesions.csv"),
        "--measurements",
        str(GIST / "measurements.csv"),
        *extra,
    ]


def hcc(*extra: str) -> list[str]:
    return [
        "classify",
        "--criteria",
        "mrecist",
        "--lesions",
        str(HCC / "lesions.csv"),
        "--measurements",
        str(HCC / "measurements.csv"),
        *extra,
    ]


def _courses(patients: list[dict[str, Any]]) -> dict[str, Course]:
    return {
        p["patient_id"]: (
            [(t["date"], t["response"]) for t in p["timepoints"]],
            p["best_overall_response"],
        )
        for p in patients
    }


def test_choi_is_the_default_for_liver_and_matches_the_hand_values(run: Any) -> None:
    done = run(*gist("--format", "json"))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["criteria"] == "choi"
    assert document["parameters"]["pd_size_reference"] == "nadir"
    assert _courses(document["patients"]) == HAND_CHOI
    g01 = document["patients"][0]
    assert g01["timepoints"][0]["metrics"]["attenuation_change_pct"] == -36.0
    assert [w["code"] for w in g01["warnings"]] == ["size_only_progression"]


def test_compare_recist_json(run: Any) -> None:
    done = run(*gist("--criteria", "choi", "--compare", "recist1.1", "--format", "json"))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["compare"]["criteria"] == "recist1.1"
    assert document["compare"]["parameters"]["pd_min_increase_mm"] == 5.0
    assert _courses(document["patients"]) == HAND_CHOI
    assert _courses([p["compare"] for p in document["patients"]]) == HAND_RECIST
    for patient in document["patients"]:
        mine, theirs = HAND_CHOI[patient["patient_id"]], HAND_RECIST[patient["patient_id"]]
        pairs = patient["comparison"]["timepoints"]
        assert [p["agree"] for p in pairs] == [
            a[1] == b[1] for a, b in zip(mine[0], theirs[0], strict=True)
        ]
        assert patient["comparison"]["best_agree"] == (mine[1] == theirs[1])


def test_compare_recist_csv_and_table(run: Any, tmp_path: Path) -> None:
    done = run(*gist("--compare", "recist", "--format", "csv"))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    got = [(r["patient_id"], r["date"], r["response"], r["compare_response"]) for r in rows]
    want = [
        (patient, day, mine, theirs)
        for patient, (points, _) in HAND_CHOI.items()
        for (day, mine), (_, theirs) in zip(points, HAND_RECIST[patient][0], strict=True)
    ]
    assert got == want
    first = rows[0]
    assert first["compare_criteria"] == "recist1.1"
    assert first["compare_best_overall_response"] == "PD"
    assert first["agree"] == "no"
    assert first["attenuation_change_pct"] == "-36.0"
    output = tmp_path / "table.txt"
    done = run(*gist("--compare", "recist1.1", "--output", output))
    assert done.returncode == 0, done.stderr
    text = output.read_text(encoding="utf-8")
    assert "Response by choi beside recist1.1" in text
    assert "RECIST 1.1 would read PD on size alone" in text
    assert "recist1.1: best overall response: CR 1  PD 1  PR 1  SD 7" in text


def test_pd_size_reference_is_a_parameter(cli: Any) -> None:
    result = cli(*gist("--set", "pd_size_reference=baseline", "--format", "json"))
    document = json.loads(result.stdout)
    courses = _courses(document["patients"])
    # G10: 46 mm is -8% from the baseline 50: SD
    assert courses["G10"] == ([("2022-03-07", "PR"), ("2022-05-09", "SD")], "PR")
    assert document["parameters"]["pd_size_reference"] == "baseline"


def test_mrecist_and_its_comparison(run: Any) -> None:
    done = run(*hcc("--compare", "recist1.1", "--format", "json"))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["criteria"] == "mrecist"
    assert _courses(document["patients"]) == HAND_MRECIST
    assert _courses([p["compare"] for p in document["patients"]]) == HAND_RECIST_HCC
    h01 = document["patients"][0]["timepoints"][0]
    assert h01["target_sum_mm"] == 20.0
    assert h01["reasons"][-1]["code"] == "size_only_pd"


def test_criteria_list_and_show(cli: Any) -> None:
    listed = json.loads(cli("criteria", "list", "--format", "json").stdout)
    entries = {c["name"]: c for c in listed["criteria"]}
    assert entries["choi"]["default_for_sites"] == ["liver"]
    assert entries["choi"]["kind"] == "patient"
    assert entries["mrecist"]["applies_to_sites"] == ["liver"]
    shown = cli("criteria", "show", "choi").stdout
    assert "pd_size_reference = nadir" in shown
    assert "J Clin Oncol 2007;25:1753-1759" in shown
    assert "pd_min_increase_mm = 0.0" in cli("criteria", "show", "mrecist").stdout


# ---- bad input: exit 2, a clear message, nothing written -----------------------------------


LESIONS = "patient_id,lesion_id,treatment_date,site,organ\nP1,L1,2022-01-10,liver,liver\n"


@pytest.mark.parametrize(
    ("measurements", "expected"),
    [
        (
            "lesion_id,date,size_mm,attenuation_hu\nL1,2022-01-03,50,eighty\nL1,2022-03-07,55,60\n",
            "row 2, column 'attenuation_hu': not a number (got 'eighty')",
        ),
        (
            "lesion_id,date,size_mm,attenuation_hu\nL1,2022-01-03,50,80\nL1,2022-03-07,55,4000\n",
            "row 3, column 'attenuation_hu': value too large (got '4000')",
        ),
        (
            "lesion_id,date,size_mm,attenuation_hu\nL1,2022-01-03,50,-2000\nL1,2022-03-07,55,60\n",
            "row 2, column 'attenuation_hu': value too small (got '-2000')",
        ),
        (
            "lesion_id,date,size_mm,attenuation_hu\nL1,2022-01-03,50,\nL1,2022-03-07,55,60\n",
            "target L1 has no attenuation_hu at its baseline scan (2022-01-03)",
        ),
        (
            "lesion_id,date,size_mm,attenuation_hu\nL1,2022-01-03,50,-10\nL1,2022-03-07,55,60\n",
            "target L1 has attenuation_hu -10 at its baseline scan",
        ),
        (
            "lesion_id,date,size_mm,attenuation_hu,intratumoral_nodule\n"
            "L1,2022-01-03,50,80,new\nL1,2022-03-07,55,60,\n",
            "row 2, column 'intratumoral_nodule': lesion L1 has a new intratumoral nodule",
        ),
        (
            "lesion_id,date,size_mm,attenuation_hu,intratumoral_nodule\n"
            "L1,2022-01-03,50,80,\nL1,2022-03-07,55,60,bigger\n",
            "row 3, column 'intratumoral_nodule': unknown intratumoral_nodule (got 'bigger')",
        ),
    ],
)
def test_bad_attenuation_input_exits_2(
    cli: Any, tmp_path: Path, measurements: str, expected: str
) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(LESIONS, encoding="utf-8")
    table = tmp_path / "measurements.csv"
    table.write_text(measurements, encoding="utf-8")
    output = tmp_path / "out.json"
    done = cli(
        "classify",
        "--lesions",
        lesions,
        "--measurements",
        table,
        "--format",
        "json",
        "--output",
        output,
    )
    assert done.exit_code == 2
    assert "Traceback" not in done.stderr
    flat = " ".join(done.stderr.split())
    assert expected in flat
    assert "measurements.csv" in flat or "lesions.csv" in flat
    assert "expected" in flat
    assert not output.exists()


def test_mrecist_needs_enhancing_targets(run: Any, tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(LESIONS, encoding="utf-8")
    table = tmp_path / "measurements.csv"
    table.write_text(
        "lesion_id,date,size_mm,viable_mm\nL1,2022-01-03,50,\nL1,2022-03-07,55,30\n",
        encoding="utf-8",
    )
    done = run("classify", "--criteria", "mrecist", "--lesions", lesions, "--measurements", table)
    assert done.returncode == 2
    flat = " ".join(done.stderr.split())
    assert "lesions.csv, row 2, column 'lesion_id': target L1 has no viable_mm" in flat
    assert "intratumoral arterial enhancement" in flat


def test_compare_needs_input_that_fits_both(run: Any, tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(LESIONS, encoding="utf-8")
    table = tmp_path / "measurements.csv"
    table.write_text(
        "lesion_id,date,viable_mm\nL1,2022-01-03,40\nL1,2022-03-07,30\n", encoding="utf-8"
    )
    alone = run("classify", "--criteria", "mrecist", "--lesions", lesions, "--measurements", table)
    assert alone.returncode == 0, alone.stderr
    done = run(
        *["classify", "--criteria", "mrecist", "--compare", "recist1.1"],
        *["--lesions", lesions, "--measurements", table],
    )
    assert done.returncode == 2
    assert "(needed by --compare recist1.1)" in " ".join(done.stderr.split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--criteria", "choi", "--compare", "choi"), "is the criteria set already chosen"),
        (("--criteria", "choi", "--compare", "amini2016"), "is lesion level"),
        (("--criteria", "choi", "--compare", "resist"), "is not a known criteria set"),
        (("--criteria", "choi", "--set", "pr_attenuation_decrease_pct=150"), "below 100"),
        (("--criteria", "choi", "--set", "pd_size_reference=peak"), "pd_size_reference='peak'"),
    ],
)
def test_bad_options_exit_2(cli: Any, args: tuple[str, ...], expected: str) -> None:
    done = cli(*gist(*args))
    assert done.exit_code == 2
    assert "Traceback" not in done.stderr
    assert expected in " ".join(done.stderr.split())


def test_compare_with_lesion_level_criteria_is_refused(run: Any) -> None:
    spine = ROOT / "examples" / "amini2016"
    done = run(
        *["classify", "--lesions", spine / "lesions.csv"],
        *["--measurements", spine / "measurements.csv", "--compare", "recist1.1"],
    )
    assert done.returncode == 2
    assert "amini2016 is lesion level" in " ".join(done.stderr.split())
