"""User evidence tables (YAML and CSV): accepted when right, rejected with clear messages."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pseudoprog.errors import InputValidationError
from pseudoprog.evidence import EvidenceFeature, default_table, packaged_text
from pseudoprog.io.evidence import load_evidence_table

PACKAGED: dict[str, Any] = yaml.safe_load(packaged_text())


def write_yaml(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = copy.deepcopy(PACKAGED)
    change(data)
    path = tmp_path / "institution.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputValidationError) as caught:
        load_evidence_table(path)
    return [str(p) for p in caught.value.problems]


def test_packaged_table_round_trips_as_a_user_table(tmp_path: Path) -> None:
    table = load_evidence_table(write_yaml(tmp_path, lambda d: None))
    packaged = default_table()
    assert [f.feature for f in table.features] == [f.feature for f in packaged.features]
    assert table.prior.strata == packaged.prior.strata
    assert table.inherited == ()
    assert table.origin.endswith("institution.yaml")


def test_every_packaged_row_carries_a_citation_with_a_location() -> None:
    table = default_table()
    for row in table.features:
        assert row.citation.source.key in table.sources
        assert row.citation.location
        assert row.reported
    for citation in (
        table.prior.citation,
        table.time_course.peak_citation,
        table.time_course.caution_citation,
        table.follow_up.citation,
    ):
        assert citation.source.key == "amini2016"
        assert citation.location
    assert table.time_course.peak_weeks_min == 9.7
    assert table.time_course.peak_weeks_max == 24.4
    assert table.time_course.back_to_baseline_weeks_max == 52.4
    assert (table.follow_up.interval_months, table.follow_up.then_interval_months) == (3, 6)


def test_institutional_counts_are_used(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["features"][0]["counts"] = {
            "pseudoprogression": {"positive": 20, "total": 25},
            "progression": {"positive": 4, "total": 40},
        }
        d["features"][0]["derived"] = {"lr_positive": 8.0}

    table = load_evidence_table(write_yaml(tmp_path, change))
    row = table.feature(EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE)
    assert row is not None
    assert row.counts is not None
    assert row.counts.lr_positive == pytest.approx((20 / 25) / (4 / 40))


def test_minimal_yaml_inherits_prior_and_time_course(tmp_path: Path) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(
        """
sources:
  mine: {citation: "Our institution, spine SBRT registry 2015-2020"}
features:
  - feature: dce_vp_change_pct
    positive_when: "< -20"
    counts:
      pseudoprogression: {positive: 30, total: 40}
      progression: {positive: 3, total: 20}
    source: mine
    location: internal report, Table 3
""",
        encoding="utf-8",
    )
    table = load_evidence_table(path)
    assert set(table.inherited) == {"context", "prior", "time_course", "follow_up"}
    assert table.prior == default_table().prior
    row = table.feature(EvidenceFeature.DCE_VP_CHANGE_PCT)
    assert row is not None
    assert row.rule is not None
    assert row.rule.applies(-25.0)
    assert not row.rule.applies(-15.0)
    assert table.feature(EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE) is None
    assert "amini2016" in table.sources  # cited by the inherited sections


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["features"][1]["counts"]["progression"].update(positive=12),
            [
                "entry features[1] (dce_vp_change_pct), field counts.progression.positive",
                "more lesions with the finding than the total of 11",
                "got '12'",
            ],
        ),
        (
            lambda d: d["features"][0]["derived"].update(lr_positive=20.0),
            [
                "entry features[0] (growth_within_80pct_isodose), field derived.lr_positive",
                "does not agree with the counts",
                "12.44",
            ],
        ),
        (
            lambda d: d["features"][0].update(feature="isodose_growth"),
            [
                "entry features[0] (isodose_growth), field feature",
                "unknown feature",
                "growth_within_80pct_isodose",
            ],
        ),
        (
            lambda d: d["features"][1].update(source="lee2023"),
            ["field source", "unknown source", "amini2016, bahig2016, dce2023"],
        ),
        (
            lambda d: (d["features"][1].pop("source"), d["features"][1].pop("location")),
            [
                "field location: missing",
                "field source: no source given",
                "every number needs its citation",
            ],
        ),
        (
            lambda d: d["features"][1].update(positive_when="decreased"),
            ["field positive_when", "'< 0' or '>= 25'", "got 'decreased'"],
        ),
        (
            lambda d: d["features"][0].update(positive_when="maybe"),
            ["field positive_when", "must be true or false"],
        ),
        (
            lambda d: d["features"][1]["counts"]["pseudoprogression"].update(total=0),
            ["field counts.pseudoprogression.total: too small", "at least 1"],
        ),
        (
            lambda d: d["features"][1]["counts"]["pseudoprogression"].update(positive=3.5),
            ["field counts.pseudoprogression.positive: not a whole number"],
        ),
        (
            lambda d: d["features"].append(copy.deepcopy(d["features"][0])),
            [
                "entry features[3] (growth_within_80pct_isodose)",
                "feature listed twice (first in features[0])",
            ],
        ),
        (
            lambda d: d["features"][0].update(sensitivty=0.9),
            ["field sensitivty: unknown field", "check the spelling"],
        ),
        (
            lambda d: d.update(featuers=[]),
            ["field featuers: unknown field"],
        ),
        (
            lambda d: d["prior"]["strata"][0].update(pseudoprogression=6),
            ["field prior.strata[0]", "states 6 of 8 but the lesions listed give 5 of 8"],
        ),
        (
            lambda d: d["prior"]["strata"][1].update(fractions_min=1),
            ["field prior.strata", "overlap"],
        ),
        (
            lambda d: d["prior"]["lesions"][0].update(response="progressing"),
            ["field prior.lesions[0].response: unknown response"],
        ),
        (
            lambda d: d["time_course"]["opp_peak_weeks"].update(max=5),
            ["field time_course.opp_peak_weeks.max: below min"],
        ),
        (
            lambda d: d["features"][2].pop("reported"),
            [
                "entry features[2] (t2_signal_ratio_change_pct), field reported",
                "a row without counts must say what the source reports",
            ],
        ),
        (
            lambda d: d.update(version=2),
            ["field version: unsupported version", "version: 1"],
        ),
    ],
    ids=[
        "positive-above-total",
        "derived-disagrees",
        "unknown-feature",
        "unknown-source",
        "no-citation",
        "bad-threshold",
        "bad-boolean",
        "zero-total",
        "fractional-count",
        "duplicate-feature",
        "typo-field",
        "typo-section",
        "prior-counts-disagree",
        "overlapping-strata",
        "bad-response",
        "time-course-range",
        "descriptive-without-report",
        "version",
    ],
)
def test_bad_yaml_tables_are_rejected_naming_entry_and_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], expected: list[str]
) -> None:
    path = write_yaml(tmp_path, change)
    found = problems(path)
    text = "\n".join(found)
    assert all(line.startswith(f"custom evidence table {path}") for line in found), text
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["features"][0]["counts"]["progression"]["positive"] = 20
        d["features"][1]["positive_when"] = "lower"
        d["prior"]["strata"][0]["enlarging"] = -1

    assert len(problems(write_yaml(tmp_path, change))) >= 3


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("features:\n  - feature: dce_vp_change_pct\n    counts: {a: [1, 2}\n")
    (message,) = problems(path)
    assert "cannot be read as YAML at line 3" in message


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    (message,) = problems(path)
    assert "top level: not a mapping" in message


def test_missing_file(tmp_path: Path) -> None:
    (message,) = problems(tmp_path / "nowhere.yaml")
    assert "file not found" in message


CSV_HEADER = (
    "feature,positive_when,pseudoprogression_positive,pseudoprogression_total,"
    "progression_positive,progression_total,lr_positive,reported,citation,location\n"
)


def test_csv_table(tmp_path: Path) -> None:
    path = tmp_path / "institution.csv"
    path.write_text(
        CSV_HEADER
        + "growth_within_80pct_isodose,true,12,15,2,20,8,,Our registry 2020,Table 2\n"
        + "t2_signal_ratio_change_pct,,,,,,,+25% vs -5% (medians),Our registry 2020,Table 4\n",
        encoding="utf-8",
    )
    table = load_evidence_table(path)
    row = table.feature(EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE)
    assert row is not None
    assert row.counts is not None
    assert row.counts.lr_positive == pytest.approx((12 / 15) / (2 / 20))
    assert row.citation.short == "Our registry 2020, Table 2"
    t2 = table.feature(EvidenceFeature.T2_SIGNAL_RATIO_CHANGE_PCT)
    assert t2 is not None
    assert not t2.quantitative
    assert "prior" in table.inherited


def test_bad_csv_table_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "institution.csv"
    path.write_text(
        CSV_HEADER
        + "growth_within_80pct_isodose,true,12,15,25,20,8,,Our registry 2020,Table 2\n"
        + "dce_vp_change_pct,< 0,30,40,3,20,6,,,Table 3\n"
        + "t1_size,true,1,2,1,2,,,Our registry 2020,Table 4\n",
        encoding="utf-8",
    )
    found = problems(path)
    text = "\n".join(found)
    assert (
        "row 2, column 'progression_positive': more lesions with the finding than the total "
        "of 20 (got '25')" in text
    )
    assert "row 3, column 'lr_positive': does not agree with the counts" in text
    assert "row 3, column 'citation': no source given" in text
    assert "row 4, column 'feature': unknown feature (got 't1_size')" in text


def test_csv_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "institution.csv"
    path.write_text(
        "feature,positive_when,citation,location,pseudoprogresion_total\n"
        "growth_within_80pct_isodose,true,X,Y,3\n",
        encoding="utf-8",
    )
    text = "\n".join(problems(path))
    assert "unknown column 'pseudoprogresion_total'" in text
