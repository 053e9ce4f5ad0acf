"""Domain values: parsing of codes and aliases, levels and regions."""

from __future__ import annotations

from datetime import date

import pytest

from pseudoprog.domain import (
    EventKind,
    Lesion,
    ResponseCategory,
    Sequence,
    Site,
    SizeSeries,
    SpinalRegion,
    Treatment,
)
from pseudoprog.errors import ParameterError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("t1", Sequence.T1),
        ("T2 FS", Sequence.T2FS),
        ("T2-FS", Sequence.T2FS),
        ("post", Sequence.T1C),
        ("T1+C", Sequence.T1C),
        ("T1 Gd", Sequence.T1C),
    ],
)
def test_sequence_aliases(text: str, expected: Sequence) -> None:
    assert Sequence.parse(text) is expected


def test_unknown_code_names_the_accepted_ones() -> None:
    with pytest.raises(ParameterError, match="expected one of PR, SD, PD, OPP, INDETERMINATE"):
        ResponseCategory.parse("CR")
    assert EventKind.parse("Cement") is EventKind.HARDWARE


@pytest.mark.parametrize(
    ("level", "canonical", "region"),
    [
        ("t12", "T12", SpinalRegion.THORACIC),
        ("Th5", "T5", SpinalRegion.THORACIC),
        ("L6", "L6", SpinalRegion.LUMBAR),
        ("C2", "C2", SpinalRegion.CERVICAL),
        ("S1", "S1", SpinalRegion.SACRAL),
    ],
)
def test_levels(level: str, canonical: str, region: SpinalRegion) -> None:
    assert SpinalRegion.normalize_level(level) == canonical
    assert SpinalRegion.from_level(level) is region


@pytest.mark.parametrize("level", ["T13", "C8", "L0", "X1", "frontal"])
def test_bad_levels(level: str) -> None:
    with pytest.raises(ParameterError, match="unknown vertebral level"):
        SpinalRegion.normalize_level(level)


def test_region_of_a_non_spinal_lesion_is_none() -> None:
    treatment = Treatment(date(2010, 1, 1), 20, 1)
    assert Lesion("p", "l", treatment, site=Site.BRAIN, level="frontal").region is None
    assert Lesion("p", "l", treatment, level="T4").region is SpinalRegion.THORACIC
    assert Lesion("p", "l", treatment).region is None


def test_treatment_and_series_validation() -> None:
    with pytest.raises(ParameterError, match="fractions must be at least 1"):
        Treatment(date(2010, 1, 1), 20, 0)
    with pytest.raises(ParameterError, match="strictly increasing"):
        SizeSeries(Sequence.T1, (date(2010, 2, 1), date(2010, 1, 1)), (1.0, 2.0))
    with pytest.raises(ParameterError, match="2 dates but 1 sizes"):
        SizeSeries(Sequence.T1, (date(2010, 1, 1), date(2010, 2, 1)), (1.0,))
    assert Treatment(date(2010, 1, 1), 24, 1).regimen == "24 Gy/1 fx"
