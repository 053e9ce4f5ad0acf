"""``pseudoprog assess`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pseudoprog.evidence import packaged_text


def example_args(example_dir: Path, *extra: str | Path) -> list[str]:
    return [
        "assess",
        "--lesions",
        str(example_dir / "lesions.csv"),
        "--measurements",
        str(example_dir / "measurements.csv"),
        "--events",
        str(example_dir / "events.csv"),
        *map(str, extra),
    ]


@pytest.fixture
def evidence_file(tmp_path: Path) -> Path:
    path = tmp_path / "evidence.csv"
    path.write_text(
        "lesion_id,date,kind,value\n"
        "P04-T12,2009-05-21,dce_vp_change_pct,-45\n"
        "P04-T12,2009-05-21,growth_within_80pct_isodose,no\n"
        "P01-L1,2009-03-18,t2_signal_ratio_change_pct,30\n",
        encoding="utf-8",
    )
    return path


def lesion(document: dict[str, Any], lesion_id: str) -> dict[str, Any]:
    return next(x for x in document["lesions"] if x["lesion_id"] == lesion_id)


def test_json_document(cli: Any, example_dir: Path, evidence_file: Path) -> None:
    result = cli(
        *example_args(example_dir, "--evidence", evidence_file, "--as-of", "2009-05-25"),
        "--format",
        "json",
        "--draws",
        "5000",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {
        "as_of",
        "criteria",
        "criteria_sets",
        "model",
        "evidence_table",
        "evidence_tables",
        "notices",
        "lesions",
    }
    assert set(document["evidence_tables"]) == {"spine_ssrs"}
    assert document["criteria"] == document["criteria_sets"]["amini2016"]
    assert document["as_of"] == "2009-05-25"
    assert document["model"]["draws"] == 5000
    assert document["model"]["seed"] == 20160201
    assert document["evidence_table"]["origin"] == "packaged:spine_ssrs.yaml"
    assert len(document["lesions"]) == 37
    p04 = lesion(document, "P04-T12")
    for key in (
        "lesion_id",
        "status",
        "probability_pseudoprogression",
        "evidence",
        "recommendations",
        "assumptions",
    ):
        assert key in p04
    assert p04["status"] == "INDETERMINATE"
    odds = (5.5 / 3.5) * ((33 / 38) / (1 / 11)) * ((1 / 9) / (13 / 14))
    estimate = p04["probability_pseudoprogression"]["estimate"]
    assert estimate == pytest.approx(odds / (1 + odds), abs=1e-4)
    assert p04["probability_pseudoprogression"]["ci_low"] <= estimate
    assert {e["feature"] for e in p04["evidence"]} == {
        "enlargement_timing",
        "dce_vp_change_pct",
        "growth_within_80pct_isodose",
    }
    assert all(e["source"] for e in p04["evidence"])
    assert p04["recommendations"][0]["code"] == "do_not_call_progression_on_one_scan"
    assert all(r["source"] for r in p04["recommendations"])
    # P01-L1 enlarged earlier and, by this date, is still undecided: the T2 ratio is only shown
    p01 = lesion(document, "P01-L1")
    t2 = next(e for e in p01["evidence"] if e["feature"] == "t2_signal_ratio_change_pct")
    assert t2["likelihood_ratio"] is None
    assert p01["probability_pseudoprogression"]["estimate"] == pytest.approx(5.5 / 9, abs=1e-4)
    # a lesion decided by serial MRI has no probability, and says why
    p08 = lesion(document, "P08-L4")
    assert p08["status"] == "PD"
    assert p08["probability_pseudoprogression"] is None
    assert p08["probability_code"] == "decided_by_criteria"


def test_same_seed_same_output(cli: Any, example_dir: Path) -> None:
    args = [*example_args(example_dir, "--as-of", "2009-05-25"), "--format", "json"]
    first = cli(*args).stdout
    assert first == cli(*args).stdout
    other = json.loads(cli(*args, "--seed", "1").stdout)
    assert (
        lesion(other, "P04-T12")["probability_pseudoprogression"]
        != lesion(json.loads(first), "P04-T12")["probability_pseudoprogression"]
    )


def test_table_output(cli: Any, example_dir: Path, evidence_file: Path) -> None:
    result = cli(*example_args(example_dir, "--evidence", evidence_file, "--as-of", "2009-05-25"))
    assert result.exit_code == 0
    out = result.stdout
    assert "Point-of-care assessment" in out
    assert "Enlarging lesions awaiting follow-up" in out
    assert "Lesion P04-T12" in out
    assert "Assumptions:" in out
    assert "MRI overdue" in out


def test_output_file_and_plots(cli: Any, example_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "assess.txt"
    plots = tmp_path / "plots"
    lesions, measurements = tmp_path / "lesions.csv", tmp_path / "measurements.csv"
    for name, target, keep in (
        ("lesions.csv", lesions, ("1,", "4,")),
        ("measurements.csv", measurements, ("P01-L1,", "P04-T12,")),
    ):
        rows = (example_dir / name).read_text().splitlines()
        target.write_text("\n".join([rows[0], *[r for r in rows if r.startswith(keep)]]) + "\n")
    result = cli(
        "assess",
        "--lesions",
        lesions,
        "--measurements",
        measurements,
        "--as-of",
        "2009-05-25",
        "--plots",
        plots,
        "-o",
        report,
    )
    assert result.exit_code == 0, result.output
    assert "P04-T12" in report.read_text()
    assert sorted(p.name for p in plots.iterdir()) == ["P01-L1.png", "P04-T12.png"]


def test_own_evidence_table(
    cli: Any, example_dir: Path, evidence_file: Path, tmp_path: Path
) -> None:
    table = tmp_path / "mine.csv"
    table.write_text(
        "feature,positive_when,pseudoprogression_positive,pseudoprogression_total,"
        "progression_positive,progression_total,citation,location\n"
        "dce_vp_change_pct,< -20,30,40,3,20,Our registry 2020,Table 3\n",
        encoding="utf-8",
    )
    result = cli(
        *example_args(example_dir, "--evidence", evidence_file, "--as-of", "2009-05-25"),
        "--evidence-table",
        table,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["evidence_table"]["origin"] == str(table)
    p04 = lesion(document, "P04-T12")
    dce = next(e for e in p04["evidence"] if e["feature"] == "dce_vp_change_pct")
    assert dce["likelihood_ratio"] == pytest.approx((30 / 40) / (3 / 20), abs=1e-4)
    assert dce["source"] == "Our registry 2020, Table 3"
    isodose = next(e for e in p04["evidence"] if e["feature"] == "growth_within_80pct_isodose")
    assert isodose["likelihood_ratio"] is None  # not in this table


def test_bad_evidence_is_rejected_with_nothing_written(
    run: Any, example_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "evidence.csv"
    bad.write_text(
        "lesion_id,date,kind,value\n"
        "P99-L1,2009-05-21,dce_vp_change_pct,-45\n"
        "P04-T12,2009-05-21,growth_within_80pct_isodose,maybe\n",
        encoding="utf-8",
    )
    out, plots = tmp_path / "out.json", tmp_path / "plots"
    done = run(
        *example_args(
            example_dir, "--evidence", bad, "--plots", plots, "-o", out, "--format", "json"
        )
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "2 problems found" in done.stderr
    assert (
        "row 2, column 'lesion_id': evidence for a lesion that is not in the lesions table"
        in done.stderr
    )
    assert "row 3, column 'value': not a yes/no value (got 'maybe')" in done.stderr
    assert not out.exists()
    assert not plots.exists()


def test_bad_evidence_table_and_bad_cohort_are_reported_together(
    run: Any, example_dir: Path, tmp_path: Path
) -> None:
    data = yaml.safe_load(packaged_text())
    data["features"][0]["counts"]["progression"]["positive"] = 15
    table = tmp_path / "mine.yaml"
    table.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run("assess", "--lesions", tmp_path / "missing.csv", "--evidence-table", table)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert (
        "entry features[0] (growth_within_80pct_isodose), field counts.progression.positive"
        in done.stderr
    )
    assert "missing.csv: file not found" in done.stderr


def test_bad_option(run: Any, example_dir: Path) -> None:
    done = run(*example_args(example_dir, "--draws", "5"))
    assert done.returncode == 2
    assert "draws must be at least 100" in done.stderr
    assert "Traceback" not in done.stderr


def test_workbook_with_an_evidence_sheet(cli: Any, example_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    book = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name in ("lesions", "measurements", "events"):
            pd.read_csv(example_dir / f"{name}.csv", dtype=str).to_excel(
                writer, sheet_name=name, index=False
            )
        pd.DataFrame(
            {
                "lesion_id": ["P04-T12"],
                "date": ["2009-05-21"],
                "kind": ["dce_vp_change_pct"],
                "value": [-45],
            }
        ).to_excel(writer, sheet_name="evidence", index=False)
    result = cli("assess", "--workbook", book, "--as-of", "2009-06-01", "--format", "json")
    assert result.exit_code == 0, result.output
    p04 = lesion(json.loads(result.stdout), "P04-T12")
    assert p04["probability_pseudoprogression"]["estimate"] == pytest.approx(0.9375, abs=1e-4)
