"""The ``pathology`` kind of the ``evidence`` table: necrosis, tumour or mixed, checked by row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pseudoprog.domain import (
    Lesion,
    PathologyResult,
    ResponseCategory,
    Site,
    Treatment,
    pathology_evidence,
)
from pseudoprog.errors import InputValidationError, ParameterError
from pseudoprog.evidence.features import EvidenceFeature, FindingRule, ValueKind
from pseudoprog.io.evidence import load_evidence

LESIONS = [Lesion("S1", "S1-L1", Treatment(date(2011, 3, 1), 16.0, 1), site=Site.BRAIN)]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "evidence.csv"
    path.write_text("lesion_id,date,kind,value,note\n" + body, encoding="utf-8")
    return path


def test_results_and_their_spellings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "S1-L1,2011-10-20,pathology,radiation necrosis,resected\n"
        "S1-L1,2011-11-01,histopathology,Tumor,\n"
        "S1-L1,2011-12-01,Pathology,mixed tumour and necrosis,\n",
    )
    rows = load_evidence(path, lesions=LESIONS)
    assert [(r.kind, r.value, r.detail) for r in rows] == [
        ("pathology", False, "necrosis"),
        ("pathology", True, "tumour"),
        ("pathology", True, "mixed"),
    ]
    assert rows[0] == pathology_evidence("S1-L1", date(2011, 10, 20), PathologyResult.NECROSIS)


def test_bad_values_are_named_by_row_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "S1-L1,2011-10-20,pathology,necrosis,\n"
        "S1-L1,2011-10-21,pathology,,\n"
        "S1-L1,2011-10-22,pathology,probably fine,\n"
        "S1-L1,2011-10-20,pathology,tumour,\n",
    )
    with pytest.raises(InputValidationError) as caught:
        load_evidence(path, lesions=LESIONS)
    found = {(p.row, p.column, p.value, p.message) for p in caught.value.problems}
    assert (3, "value", "", "empty cell") in found
    assert (4, "value", "probably fine", "unknown pathology result") in found
    conflict = [p for p in caught.value.problems if p.row == 5]
    assert len(conflict) == 1
    assert "row 2: necrosis, row 5: tumour" in conflict[0].message
    assert all("necrosis, tumour, mixed" in p.expected for p in caught.value.problems[:2])


def test_identical_results_are_merged(tmp_path: Path) -> None:
    path = write(
        tmp_path, "S1-L1,2011-10-20,pathology,necrosis,\nS1-L1,2011-10-20,pathology,RN only,\n"
    )
    with pytest.raises(InputValidationError):  # 'RN only' is not a known spelling
        load_evidence(path, lesions=LESIONS)
    path = write(
        tmp_path,
        "S1-L1,2011-10-20,pathology,necrosis,\nS1-L1,2011-10-20,pathology,necrosis only,\n",
    )
    notices: list[str] = []
    assert len(load_evidence(path, lesions=LESIONS, notices=notices)) == 1
    assert any("repeats row 2" in n for n in notices)


def test_pathology_is_not_a_test_with_a_finding_rule() -> None:
    feature = EvidenceFeature.parse("pathology")
    assert feature.value_kind is ValueKind.PATHOLOGY
    assert feature.minimum is None
    assert feature.format_value(False) == "necrosis only"
    with pytest.raises(ParameterError, match="reference standard"):
        FindingRule.parse("true", feature=feature)


def test_pathology_results() -> None:
    assert PathologyResult.parse("viable tumor") is PathologyResult.TUMOUR
    assert [r.viable_tumour for r in PathologyResult] == [False, True, True]
    with pytest.raises(ParameterError, match="not a known pathology result"):
        pathology_evidence("S1-L1", date(2011, 10, 20), "benign")


def test_brain_categories_and_their_aliases() -> None:
    assert ResponseCategory.parse("suspected progression") is ResponseCategory.SUSPECTED_PROGRESSION
    assert ResponseCategory.parse("Suspected PD") is ResponseCategory.SUSPECTED_PROGRESSION
    assert ResponseCategory.parse("radiation necrosis") is ResponseCategory.TREATMENT_EFFECT
    assert ResponseCategory.parse("pseudoprogression") is ResponseCategory.OPP  # unchanged
    assert ResponseCategory.SUSPECTED_PROGRESSION.is_enlarging
    assert ResponseCategory.TREATMENT_EFFECT.is_enlarging
    assert not ResponseCategory.SD.is_enlarging
    assert list(ResponseCategory)[-2:] == [
        ResponseCategory.SUSPECTED_PROGRESSION,
        ResponseCategory.TREATMENT_EFFECT,
    ]
