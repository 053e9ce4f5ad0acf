"""Likelihood ratios recomputed by hand, with exact fractions, from the counts."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pseudoprog.errors import ParameterError
from pseudoprog.evidence import GroupCount, TwoByTwo, default_table
from pseudoprog.evidence.features import EvidenceFeature


def by_hand(a: int, n1: int, c: int, n0: int) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """Sensitivity, specificity, LR+, LR- as exact fractions (no zero cells)."""
    sens = Fraction(a, n1)
    spec = Fraction(n0 - c, n0)
    return sens, spec, sens / (1 - spec), (1 - sens) / spec


def test_bahig_isodose_line_by_hand() -> None:
    # Bahig 2016: growth confined to the 80% isodose line in 8/9 PsP vs 1/14 recurrence.
    table = TwoByTwo(GroupCount(8, 9), GroupCount(1, 14))
    assert table.sensitivity == pytest.approx(8 / 9)
    assert table.specificity == pytest.approx(13 / 14)
    assert table.lr_positive == pytest.approx(float(Fraction(8, 9) / Fraction(1, 14)))  # 112/9
    assert table.lr_positive == pytest.approx(112 / 9)
    assert table.lr_negative == pytest.approx(float(Fraction(1, 9) / Fraction(13, 14)))  # 14/117
    assert table.lr_negative == pytest.approx(14 / 117)
    assert not table.corrected


def test_dce_plasma_volume_by_hand() -> None:
    # Seed 004: specificity 33/38 (successes not called failure), sensitivity 10/11 (failures);
    # finding = vp decrease: 33/38 of pseudoprogression, 1/11 of progression.
    table = TwoByTwo(GroupCount(33, 38), GroupCount(1, 11))
    assert table.lr_positive == pytest.approx((33 / 38) / (1 / 11))
    assert table.lr_positive == pytest.approx(363 / 38)
    assert table.lr_negative == pytest.approx((5 / 38) / (10 / 11))
    assert table.lr_negative == pytest.approx(55 / 380)


def test_packaged_rows_recomputed_from_their_counts() -> None:
    table = default_table()
    expected = {
        EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE: (8, 9, 1, 14),
        EvidenceFeature.DCE_VP_CHANGE_PCT: (33, 38, 1, 11),
    }
    for feature, (a, n1, c, n0) in expected.items():
        row = table.feature(feature)
        assert row is not None
        assert row.counts is not None
        counts = row.counts
        assert (counts.pseudoprogression.positive, counts.pseudoprogression.total) == (a, n1)
        assert (counts.progression.positive, counts.progression.total) == (c, n0)
        sens, spec, lr_pos, lr_neg = by_hand(a, n1, c, n0)
        assert counts.sensitivity == pytest.approx(float(sens))
        assert counts.specificity == pytest.approx(float(spec))
        assert counts.lr_positive == pytest.approx(float(lr_pos))
        assert counts.lr_negative == pytest.approx(float(lr_neg))
        assert counts.lr_positive > 1 > counts.lr_negative


def test_zero_cell_uses_haldane_correction() -> None:
    table = TwoByTwo(GroupCount(6, 6), GroupCount(0, 10))
    assert table.corrected
    # 0.5 added to each cell: (6.5/7) / (0.5/11) and (0.5/7) / (10.5/11)
    assert table.lr_positive == pytest.approx((6.5 / 7) / (0.5 / 11))
    assert table.lr_negative == pytest.approx((0.5 / 7) / (10.5 / 11))
    assert "0.5 added" in table.describe()


def _inner_count() -> st.SearchStrategy[tuple[int, int]]:
    """(positive, total) with both cells non-zero."""
    return st.integers(2, 60).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n)))


@given(_inner_count(), _inner_count())
def test_ratios_match_exact_fractions_without_zero_cells(
    pp: tuple[int, int], pd: tuple[int, int]
) -> None:
    (a, n1), (c, n0) = pp, pd
    table = TwoByTwo(GroupCount(a, n1), GroupCount(c, n0))
    assert not table.corrected
    sens, spec, lr_pos, lr_neg = by_hand(a, n1, c, n0)
    assert table.lr_positive == pytest.approx(float(lr_pos), rel=1e-12)
    assert table.lr_negative == pytest.approx(float(lr_neg), rel=1e-12)
    assert (table.lr_positive > 1) == (sens > 1 - spec)


@pytest.mark.parametrize(
    ("positive", "total", "fragment"),
    [
        (5, 4, "between 0 and the total"),
        (-1, 4, "between 0"),
        (1, 0, "at least 1"),
        (1.5, 4, "whole"),
    ],
)
def test_group_count_rejects_impossible_counts(positive: object, total: int, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        GroupCount(positive, total)  # type: ignore[arg-type]
