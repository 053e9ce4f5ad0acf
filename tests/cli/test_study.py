"""``pseudoprog study`` and ``pseudoprog accuracy`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def _example(example_dir: Path, *extra: str) -> list[str]:
    return [
        "study",
        "--lesions",
        str(example_dir / "lesions.csv"),
        "--measurements",
        str(example_dir / "measurements.csv"),
        "--events",
        str(example_dir / "events.csv"),
        *extra,
    ]


def test_study_of_the_example_subprocess(run: Any, example_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "study"
    done = run(
        *_example(
            example_dir,
            "--synthetic",
            "measurements",
            "--synthetic",
            "events",
            "--output",
            str(out),
        )
    )
    assert done.returncode == 0, done.stderr
    assert str(out / "report.html") in done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "fig_cumulative_incidence.png",
        "fig_km_fraction.png",
        "fig_responses.png",
        "fig_spider.png",
        "fig_time_course.png",
        "report.html",
        "study.json",
    ]
    doc = json.loads((out / "study.json").read_text())
    assert doc["response_source"] == "classifier"
    assert doc["logrank_fraction"]["p_value"] < 0.05
    assert "Synthetic data" in (out / "report.html").read_text()
    assert "OPP overall 5/37" in done.stdout


def test_study_of_table1_reproduces_the_paper(cli: Any, example_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "table1"
    result = cli("study", "--lesions", example_dir / "lesions.csv", "-o", out)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "study.json").read_text())
    # Amini et al. 2016, Results: 37 lesions in 36 patients; OPP 5/37 (14%), 5/16 after
    # single fraction (31%), 5/14 of enlarging lesions (36%); Fisher P = .01
    assert (doc["n_lesions"], doc["n_patients"]) == (37, 36)
    assert (doc["opp_prevalence"]["numerator"], doc["opp_prevalence"]["denominator"]) == (5, 37)
    single = doc["opp_prevalence_single_fraction"]
    assert (single["numerator"], single["denominator"]) == (5, 16)
    enlarging = doc["opp_among_enlarging"]
    assert (enlarging["numerator"], enlarging["denominator"]) == (5, 14)
    assert round(doc["fisher_fraction_opp"]["p_value"], 2) == 0.01
    assert doc["fisher_fraction_opp"]["odds_ratio"] is None
    assert doc["fisher_fraction_opp"]["odds_ratio_infinite"] is True
    assert doc["cox_univariate"] is None
    assert "no measurements" in doc["not_computed"]["cox_univariate"]
    assert sorted(p.name for p in out.iterdir()) == [
        "fig_responses.png",
        "report.html",
        "study.json",
    ]


def test_bad_lesions_table_exits_2_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "lesions.csv"
    bad.write_text("patient_id,lesion_id,dose_gy\n1,a,twenty\n")
    out = tmp_path / "out"
    result = cli("study", "--lesions", bad, "-o", out)
    assert result.exit_code == 2
    assert "treatment_date" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_responses_without_measurements(cli: Any, tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(
        "patient_id,lesion_id,treatment_date,dose_gy,fractions,response\n"
        "1,a,2010-01-01,24,1,OPP\n"
        "2,b,2010-02-01,27,3,\n"
    )
    out = tmp_path / "out"
    result = cli("study", "--lesions", lesions, "-o", out)
    assert result.exit_code == 2
    assert "row 3" in result.output
    assert "response" in result.output
    assert not out.exists()


def test_existing_output_directory_keeps_other_files(
    cli: Any, example_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    bad = tmp_path / "missing.csv"
    result = cli("study", "--lesions", bad, "-o", out)
    assert result.exit_code == 2
    assert "file not found" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


ACCURACY = (
    "subject,vp_change,outcome\n"
    + "".join(
        f"f{i},{v},failure\n" for i, v in enumerate([80, 95, 120, 60, 40, 75, 30, 150, 20, 88, -15])
    )
    + "".join(f"s{i},{v},success\n" for i, v in enumerate([-60, -55, -70, -40, -80, 10, -30]))
)


def test_accuracy_command(cli: Any, tmp_path: Path) -> None:
    table = tmp_path / "dce.csv"
    table.write_text(ACCURACY)
    figure = tmp_path / "roc.png"
    result = cli(
        "accuracy",
        "--table",
        table,
        "--marker",
        "vp_change",
        "--outcome",
        "outcome",
        "--positive",
        "failure",
        "--threshold",
        "0",
        "--format",
        "json",
        "--figure",
        figure,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["sensitivity"]["wilson"]["numerator"] == 10  # 10 of 11 failures rise
    assert doc["specificity"]["wilson"]["numerator"] == 6  # 6 of 7 successes fall
    assert doc["threshold_source"] == "given"
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_accuracy_text_output_to_file(cli: Any, tmp_path: Path) -> None:
    table = tmp_path / "dce.csv"
    table.write_text(ACCURACY.replace("failure", "1").replace("success", "0"))
    out = tmp_path / "acc.txt"
    result = cli(
        "accuracy", "--table", table, "--marker", "vp_change", "--outcome", "outcome", "-o", out
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "ROC AUC" in text
    assert "Youden" in text


@pytest.mark.parametrize(
    ("content", "args", "needles"),
    [
        ("a,b\n1,2\n", ("--marker", "vp", "--outcome", "y"), ["'vp' is missing", "'y' is missing"]),
        ("vp,y\nx,1\n2,0\n", ("--marker", "vp", "--outcome", "y"), ["row 2", "not a number"]),
        (
            "vp,y\n1,maybe\n2,0\n",
            ("--marker", "vp", "--outcome", "y"),
            ["not binary", "--positive"],
        ),
        (
            "vp,y\n1,a\n2,b\n3,c\n",
            ("--marker", "vp", "--outcome", "y", "--positive", "a"),
            ["more than two values"],
        ),
        ("vp,y\n1,1\n2,1\n", ("--marker", "vp", "--outcome", "y"), ["same outcome"]),
    ],
)
def test_accuracy_bad_tables_exit_2(
    cli: Any, tmp_path: Path, content: str, args: tuple[str, ...], needles: list[str]
) -> None:
    table = tmp_path / "t.csv"
    table.write_text(content)
    out = tmp_path / "out.json"
    result = cli("accuracy", "--table", table, *args, "-o", out)
    assert result.exit_code == 2
    for needle in needles:
        assert needle in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_study_from_a_workbook(cli: Any, example_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    workbook = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        for name in ("lesions", "measurements", "events"):
            table = pd.read_csv(example_dir / f"{name}.csv", dtype=str)
            table.to_excel(writer, sheet_name=name, index=False)
    out = tmp_path / "out"
    result = cli("study", "--workbook", workbook, "-o", out)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "study.json").read_text())
    assert doc["response_source"] == "classifier"
    hardware = next(c for c in doc["inclusion"]["criteria"] if c["criterion"] == "no_hardware")
    assert hardware["unknown"] == 0  # the events sheet was read
    assert doc["provenance"]["synthetic_inputs"] == []
