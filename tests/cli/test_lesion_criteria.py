"""``classify --criteria srs-brain``: lesion-level criteria other than Amini 2016 from the CLI.

The expected responses are those worked out lesion by lesion in examples/brain_srs/README.md,
written here again.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).parents[2] / "examples" / "brain_srs"

BY_HAND = {
    "S1-LPAR": "TREATMENT_EFFECT",
    "B2-L1": "PR",
    "B3-L1": "SD",
    "B4-L1": "TREATMENT_EFFECT",
    "B5-L1": "PD",
    "B6-L1": "PD",
    "B7-L1": "SUSPECTED_PD",
    "B8-L1": "PD",
    "B9-L1": "PD",
}


def args(*extra: str, evidence: bool = True) -> list[str]:
    files = ["--lesions", "lesions.csv", "--measurements", "measurements.csv"]
    files += ["--events", "events.csv"]
    if evidence:
        files += ["--evidence", "evidence.csv"]
    paired = [str(EXAMPLE / f) if f.endswith(".csv") else f for f in files]
    return ["classify", "--criteria", "srs-brain", *paired, *extra]


def test_json_gives_the_worked_out_responses(cli: Any) -> None:
    result = cli(*args("--format", "json"))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["parameters"]["criteria"] == "srs-brain"
    assert document["parameters"]["primary_sequence"] == "T1C"
    assert {x["lesion_id"]: x["response"] for x in document["lesions"]} == BY_HAND


def test_without_pathology_the_seed_case_stays_suspected(cli: Any) -> None:
    result = cli(*args("--format", "csv", evidence=False))
    rows = {r["lesion_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["S1-LPAR"]["response"] == "SUSPECTED_PD"
    assert rows["B6-L1"]["response"] == "SUSPECTED_PD"  # its tumour pathology is evidence too


def test_as_of_four_months_reads_suspected_progression(cli: Any) -> None:
    result = cli(*args("--as-of", "2011-07-05", "--format", "json"))
    lesion = next(x for x in json.loads(result.stdout)["lesions"] if x["lesion_id"] == "S1-LPAR")
    assert lesion["response"] == "SUSPECTED_PD"
    assert any("advanced imaging" in r["message"] for r in lesion["reasons"])


def test_table_counts_the_categories_of_the_criteria(cli: Any) -> None:
    result = cli(*args())
    assert result.exit_code == 0, result.output
    assert (
        "9 lesions: PR 1  SD 1  SUSPECTED_PD 1  TREATMENT_EFFECT 2  PD 4  INDETERMINATE 0"
        in result.stdout
    )


def test_spine_lesions_are_refused(run: Any, example_dir: Path) -> None:
    done = run(
        "classify",
        "--criteria",
        "srs-brain",
        "--lesions",
        example_dir / "lesions.csv",
        "--measurements",
        example_dir / "measurements.csv",
    )
    assert done.returncode == 2
    assert "srs-brain applies to brain lesions" in done.stderr
    assert "amini2016" in done.stderr


def test_amini_does_not_read_evidence(run: Any, example_dir: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "e.csv"
    evidence.write_text("lesion_id,date,kind,value\n", encoding="utf-8")
    done = run(
        "classify",
        "--lesions",
        example_dir / "lesions.csv",
        "--measurements",
        example_dir / "measurements.csv",
        "--evidence",
        evidence,
    )
    assert done.returncode == 2
    assert "amini2016 classifies from sizes alone" in done.stderr
