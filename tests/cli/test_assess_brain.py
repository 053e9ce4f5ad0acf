"""``pseudoprog assess`` on brain metastases after SRS (srs-brain criteria, brain table)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pseudoprog.evidence import packaged_text

ROOT = Path(__file__).resolve().parents[2]
BRAIN = ROOT / "examples" / "brain_srs"

#: Hand computation: Jeffreys prior of 24 of 35 (Narloch 2017), times the likelihood ratio of
#: "at most 9 months after SRS" (15 of 24 necroses and 1 of 11 recurrences beyond 9 months).
PRIOR = 24.5 / 36
WITHIN_9_MONTHS = (9 / 24) / (10 / 11)


def with_ratios(*ratios: float) -> float:
    odds = PRIOR / (1 - PRIOR)
    for r in ratios:
        odds *= r
    return odds / (1 + odds)


def brain_args(*extra: str | Path, evidence: Path | None = BRAIN / "evidence.csv") -> list[str]:
    args = [
        "assess",
        "--lesions",
        str(BRAIN / "lesions.csv"),
        "--measurements",
        str(BRAIN / "measurements.csv"),
        "--events",
        str(BRAIN / "events.csv"),
    ]
    if evidence is not None:
        args += ["--evidence", str(evidence)]
    return [*args, *map(str, extra)]


def lesion(document: dict[str, Any], lesion_id: str) -> dict[str, Any]:
    return next(x for x in document["lesions"] if x["lesion_id"] == lesion_id)


def test_seed_case_json(cli: Any) -> None:
    result = cli(*brain_args("--as-of", "2011-07-05", "--format", "json"))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["criteria"]["criteria"] == "srs-brain"
    assert document["evidence_table"]["origin"] == "packaged:brain_srs.yaml"
    assert set(document["evidence_tables"]) == {"brain_srs"}
    s1 = lesion(document, "S1-LPAR")
    assert s1["status"] == "SUSPECTED_PD"
    assert s1["probability_of"] == "treatment effect"
    assert s1["probability_code"] == "estimated"
    p = s1["probability_pseudoprogression"]
    assert p["estimate"] == pytest.approx(with_ratios(WITHIN_9_MONTHS), abs=1e-4)
    assert p["ci_low"] < p["estimate"] < p["ci_high"]
    assert s1["calculation"]["likelihood_ratios"] == {
        "months_after_srs": pytest.approx(WITHIN_9_MONTHS, abs=1e-4)
    }
    assert s1["next_mri_due"] == "2011-09-23"  # 12 weeks after the MRI of 2011-07-01
    shown = [e for e in s1["evidence"] if e["feature"] in ("immunotherapy", "prior_wbrt")]
    assert shown
    assert all(e["likelihood_ratio"] is None for e in shown)
    codes = [r["code"] for r in s1["recommendations"]]
    assert "test_would_change_estimate" in codes
    assert "reimage" in codes


def test_fet_pet_below_the_cut_off(cli: Any) -> None:
    """B4-L1: 12 -> 18 mm on 2012-06-04 (3 months after SRS), FET TBRmean 1.6 on 2012-06-18."""
    result = cli(*brain_args("--as-of", "2012-06-20", "--format", "json"))
    assert result.exit_code == 0, result.output
    b4 = lesion(json.loads(result.stdout), "B4-L1")
    assert b4["status"] == "SUSPECTED_PD"
    pet = (23 / 29) / (3 / 21)
    assert b4["probability_pseudoprogression"]["estimate"] == pytest.approx(
        with_ratios(WITHIN_9_MONTHS, pet), abs=1e-4
    )
    item = next(e for e in b4["evidence"] if e["feature"] == "amino_acid_pet_tbr_mean")
    assert item["likelihood_ratio"] == pytest.approx(pet, abs=1e-4)
    assert item["source"].startswith("romagna2016")


def test_table_output(cli: Any, tmp_path: Path) -> None:
    report = tmp_path / "assess.txt"
    result = cli(*brain_args("--as-of", "2011-07-05", "-o", report))
    assert result.exit_code == 0, result.output
    flat = " ".join(report.read_text(encoding="utf-8").split())
    assert "srs-brain criteria" in flat
    assert "P(treatment effect) (95% CI)" in flat
    assert "Enlarging lesions awaiting follow-up" in flat
    assert "Probability of treatment effect: 0.47" in flat
    assert "Evidence table: brain_srs (packaged:brain_srs.yaml)" in flat


def test_spine_and_brain_lesions_together(cli: Any, example_dir: Path, tmp_path: Path) -> None:
    lesions, measurements = tmp_path / "lesions.csv", tmp_path / "measurements.csv"
    spine_rows = (example_dir / "lesions.csv").read_text().splitlines()
    header = spine_rows[0].split(",")
    brain_rows = (BRAIN / "lesions.csv").read_text().splitlines()
    brain_header = brain_rows[0].split(",")
    s1 = dict(zip(brain_header, brain_rows[1].split(","), strict=True))
    columns = header + [c for c in brain_header if c not in header]
    lines = [",".join(columns)]
    for row in spine_rows[1:]:
        if row.startswith("4,"):
            values = dict(zip(header, row.split(","), strict=True))
            values.setdefault("site", "spine")
            lines.append(",".join(values.get(c, "") for c in columns))
    lines.append(",".join(s1.get(c, "") for c in columns))
    lesions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spine_m = (example_dir / "measurements.csv").read_text().splitlines()
    brain_m = (BRAIN / "measurements.csv").read_text().splitlines()
    assert spine_m[0].split(",")[:4] == brain_m[0].split(",")[:4]
    measurements.write_text(
        "\n".join(
            [
                brain_m[0],
                *[r for r in spine_m[1:] if r.startswith("P04-T12,")],
                *[r for r in brain_m[1:] if r.startswith("S1-LPAR,")],
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = cli(
        "assess",
        "--lesions",
        lesions,
        "--measurements",
        measurements,
        "--as-of",
        "2009-06-01",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["criteria"] is None
    assert document["evidence_table"] is None
    assert set(document["criteria_sets"]) == {"amini2016", "srs-brain"}
    assert set(document["evidence_tables"]) == {"spine_ssrs", "brain_srs"}
    p04 = lesion(document, "P04-T12")
    assert (p04["criteria"], p04["evidence_table"]) == ("amini2016", "spine_ssrs")
    assert p04["probability_of"] == "pseudoprogression"
    assert p04["probability_pseudoprogression"]["estimate"] == pytest.approx(5.5 / 9, abs=1e-4)
    s1_doc = lesion(document, "S1-LPAR")
    assert (s1_doc["criteria"], s1_doc["evidence_table"]) == ("srs-brain", "brain_srs")
    assert s1_doc["probability_code"] == "no_follow_up"  # 2009: before its SRS
    report = tmp_path / "assess.txt"
    table = cli("assess", "--lesions", lesions, "--measurements", measurements, "-o", report)
    assert table.exit_code == 0, table.output
    assert "P(pseudoprog./TE) (95% CI)" in report.read_text(encoding="utf-8")


def test_bad_brain_evidence_exits_2_with_nothing_written(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "evidence.csv"
    bad.write_text(
        "lesion_id,date,kind,value\n"
        "S1-LPAR,2011-07-01,dsc_rcbv_ratio,-1.2\n"
        "S1-LPAR,2011-07-01,amino_acid_pet_tbr_mean,high\n"
        "S1-LPAR,2011-10-20,pathology,maybe\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    done = run(*brain_args("-o", out, "--format", "json", evidence=bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "3 problems found" in done.stderr
    where = f"evidence table {bad}"
    flat = " ".join(done.stderr.split())
    assert f"{where}, row 2, column 'value': value too small (got '-1.2')" in flat
    assert f"{where}, row 3, column 'value': not a number (got 'high')" in flat
    assert f"{where}, row 4, column 'value': unknown pathology result (got 'maybe')" in flat
    assert not out.exists()


def test_bad_brain_evidence_table_exits_2(run: Any, tmp_path: Path) -> None:
    data = yaml.safe_load(packaged_text("brain_srs"))
    data["features"][0]["counts"]["progression"]["positive"] = 5  # derived values now disagree
    table = tmp_path / "brain.yaml"
    table.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run(*brain_args("--evidence-table", table))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "features[0] (dsc_rcbv_ratio)" in " ".join(done.stderr.split())


def test_own_brain_table_overrides(cli: Any, tmp_path: Path) -> None:
    data = yaml.safe_load(packaged_text("brain_srs"))
    data["prior"]["strata"][0]["pseudoprogression"] = 10
    data["prior"]["strata"][0]["enlarging"] = 30
    table = tmp_path / "ours.yaml"
    table.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = cli(
        *brain_args("--as-of", "2011-07-05", "--format", "json", "--evidence-table", table)
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["evidence_table"]["origin"] == str(table)
    prior = 10.5 / 31
    odds = prior / (1 - prior) * WITHIN_9_MONTHS
    s1 = lesion(document, "S1-LPAR")
    assert s1["probability_pseudoprogression"]["estimate"] == pytest.approx(
        odds / (1 + odds), abs=1e-4
    )


def test_spine_table_on_brain_lesions_gives_no_estimate(cli: Any, tmp_path: Path) -> None:
    table = tmp_path / "spine.yaml"
    table.write_text(packaged_text("spine_ssrs"), encoding="utf-8")
    result = cli(
        *brain_args("--as-of", "2011-07-05", "--format", "json", "--evidence-table", table)
    )
    assert result.exit_code == 0, result.output
    s1 = lesion(json.loads(result.stdout), "S1-LPAR")
    assert s1["status"] == "SUSPECTED_PD"
    assert s1["probability_pseudoprogression"] is None
    assert s1["probability_code"] == "site_not_in_evidence_table"


def test_criteria_options(cli: Any, run: Any) -> None:
    custom = cli(
        *brain_args("--as-of", "2011-07-05", "--format", "json", "--set", "repeat_mri_weeks=6")
    )
    assert custom.exit_code == 0, custom.output
    document = json.loads(custom.stdout)
    assert document["criteria"]["repeat_mri_weeks"] == 6
    assert lesion(document, "S1-LPAR")["next_mri_due"] == "2011-08-12"  # 6 weeks after 07-01
    wrong = run(*brain_args("--criteria", "amini2016"))
    assert wrong.returncode == 2
    assert "S1-LPAR (brain)" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    spine_option = run(*brain_args("--error-mm", "3"))
    assert spine_option.returncode == 2
    assert "--error-mm belong to amini2016" in " ".join(spine_option.stderr.split())


def test_plots_of_brain_lesions(cli: Any, tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    result = cli(*brain_args("--as-of", "2011-10-05", "--plots", plots, "-o", tmp_path / "a.txt"))
    assert result.exit_code == 0, result.output
    assert (plots / "S1-LPAR.png").stat().st_size > 0
    assert len(list(plots.iterdir())) == 9
