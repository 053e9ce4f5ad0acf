"""``pseudoprog classify`` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pseudoprog.io.results import CSV_COLUMNS


def example_args(example_dir: Path) -> list[str]:
    return [
        "classify",
        "--lesions",
        str(example_dir / "lesions.csv"),
        "--measurements",
        str(example_dir / "measurements.csv"),
        "--events",
        str(example_dir / "events.csv"),
    ]


def published_responses(example_dir: Path) -> dict[str, str]:
    with (example_dir / "lesions.csv").open() as handle:
        return {row["lesion_id"]: row["response"] for row in csv.DictReader(handle)}


def test_example_reproduces_every_published_response(run: Any, example_dir: Path) -> None:
    done = run(*example_args(example_dir), "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    got = {lesion["lesion_id"]: lesion["response"] for lesion in document["lesions"]}
    expected = published_responses(example_dir)
    assert len(expected) == 37
    assert got == expected


def test_json_shape(cli: Any, example_dir: Path) -> None:
    result = cli(*example_args(example_dir), "--format", "json", "--error-mm", "2")
    document = json.loads(result.stdout)
    assert document["parameters"] == {
        "criteria": "amini2016",
        "error_mm": 2.0,
        "decline_window_days": 92,
        "opp_peak_window_weeks": 26.0,
        "primary_sequence": "T1",
        "min_follow_up_months": 6,
        "max_body_involvement_pct": 75.0,
    }
    lesion = next(x for x in document["lesions"] if x["lesion_id"] == "P01-L1")
    for key in (
        "patient_id",
        "lesion_id",
        "response",
        "primary_sequence",
        "time_to_peak_weeks",
        "peak_change_mm",
        "time_to_baseline_weeks",
        "per_sequence",
        "reasons",
        "warnings",
    ):
        assert key in lesion
    assert lesion["patient_id"] == "1"
    assert lesion["response"] == "OPP"
    assert lesion["time_to_peak_weeks"] == pytest.approx(68 / 7, abs=0.01)
    assert lesion["peak_change_mm"] == 4.0
    assert set(lesion["per_sequence"]) == {"T1", "T2FS", "T1C"}
    assert lesion["per_sequence"]["T2FS"]["peak_change_mm"] == 5.0
    stable = next(x for x in document["lesions"] if x["response"] == "SD")
    assert stable["time_to_peak_weeks"] is None


def test_csv_output_file_is_written(cli: Any, example_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "result.csv"
    result = cli(*example_args(example_dir), "--format", "csv", "--output", str(out))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 37
    assert {r["response"] for r in rows} == {"PR", "SD", "PD", "OPP"}
    assert [p.name for p in out.parent.iterdir()] == ["result.csv"]  # no temp file left


def test_table_output(run: Any, example_dir: Path) -> None:
    done = run(*example_args(example_dir))
    assert done.returncode == 0
    assert "Response by the Amini 2016 criteria" in done.stdout
    assert "37 lesions: PR 11  SD 12  PD 9  OPP 5  INDETERMINATE 0" in done.stdout


def test_as_of_shows_the_lesion_as_it_was(cli: Any, example_dir: Path) -> None:
    # P45-T6 (OPP) peaked 171 days after treatment (examples/amini2016/generate.py).
    with (example_dir / "lesions.csv").open() as handle:
        rows = {r["lesion_id"]: r for r in csv.DictReader(handle)}
    treated = date.fromisoformat(rows["P45-T6"]["treatment_date"])
    as_of = (treated + timedelta(days=172)).isoformat()
    result = cli(*example_args(example_dir), "--as-of", as_of, "--format", "json")
    document = json.loads(result.stdout)
    lesion = next(x for x in document["lesions"] if x["lesion_id"] == "P45-T6")
    assert lesion["response"] == "INDETERMINATE"
    assert lesion["time_to_peak_weeks"] == pytest.approx(171 / 7, abs=0.01)
    assert document["as_of"] == as_of


def test_primary_sequence_option(cli: Any, example_dir: Path) -> None:
    result = cli(*example_args(example_dir), "--primary-sequence", "t2fs", "--format", "json")
    document = json.loads(result.stdout)
    assert document["parameters"]["primary_sequence"] == "T2FS"
    assert {x["deciding_sequence"] for x in document["lesions"]} == {"T2FS"}


def test_workbook_input(cli: Any, example_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    book = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name in ("lesions", "measurements", "events"):
            pd.read_csv(example_dir / f"{name}.csv", dtype=str).to_excel(
                writer, sheet_name=name, index=False
            )
    result = cli("classify", "--workbook", str(book), "--format", "json")
    got = {x["lesion_id"]: x["response"] for x in json.loads(result.stdout)["lesions"]}
    assert got == published_responses(example_dir)


def test_bad_input_exits_2_with_problems_and_writes_nothing(
    run: Any, example_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "measurements.csv"
    text = (example_dir / "measurements.csv").read_text().splitlines()
    text[5] = text[5].rsplit(",", 1)[0] + ",-4"
    text[9] = text[9].replace("T1C", "DWI").replace("T2FS", "DWI").replace(",T1,", ",DWI,")
    bad.write_text("\n".join(text) + "\n")
    out = tmp_path / "out.json"
    done = run(
        "classify",
        "--lesions",
        example_dir / "lesions.csv",
        "--measurements",
        bad,
        "--format",
        "json",
        "--output",
        out,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "2 problems found" in done.stderr
    assert "row 6, column 'size_mm': value too small (got '-4')" in done.stderr
    assert "row 10, column 'sequence': unknown sequence (got 'DWI')" in done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_missing_inputs_exit_2(run: Any, tmp_path: Path) -> None:
    done = run("classify", "--lesions", tmp_path / "missing.csv")
    assert done.returncode == 2
    assert "file not found" in done.stderr
    assert "no measurements table given" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_parameter_exits_2(run: Any, example_dir: Path) -> None:
    done = run(*example_args(example_dir), "--error-mm", "-1")
    assert done.returncode == 2
    assert "error_mm must be positive" in done.stderr


def test_without_events_the_systemic_therapy_rule_is_flagged(cli: Any, example_dir: Path) -> None:
    # Patient 40 (PD) shrank after a change of systemic therapy; without the events table the
    # decline cannot be attributed to it, so the lesion reads OPP, with a warning saying so.
    args = example_args(example_dir)[:-2]
    document = json.loads(cli(*args, "--format", "json").stdout)
    lesion = next(x for x in document["lesions"] if x["lesion_id"] == "P40-L4")
    assert lesion["response"] == "OPP"
    assert "events_not_recorded" in [w["code"] for w in lesion["warnings"]]
    statuses = {c["criterion"]: c["status"] for c in lesion["inclusion"]}
    assert statuses["no_hardware"] == "unknown"
