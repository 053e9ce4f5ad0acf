"""Fisher exact test and odds ratios (zero cells made explicit, never the token Infinity)."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from pseudoprog.errors import ParameterError
from pseudoprog.stats.association import fisher_exact_test

# Amini et al. 2016, Results: all 5 OPP after single fraction: 5 of 16 single-fraction
# lesions, 0 of 21 multi-fraction lesions; Fisher exact P = .01.
PAPER_TABLE = [[5, 11], [0, 21]]


def test_paper_table_p_value() -> None:
    test = fisher_exact_test(PAPER_TABLE)
    assert round(test.p_value, 2) == 0.01
    assert test.p_value == pytest.approx(stats.fisher_exact(PAPER_TABLE)[1])


def test_zero_cell_odds_ratio_is_infinite_in_valid_json() -> None:
    test = fisher_exact_test(PAPER_TABLE, rows=("single", "multi"), columns=("OPP", "other"))
    assert test.odds_ratio is None
    assert test.odds_ratio_infinite
    assert "infinite" in test.odds_ratio_text
    assert "multi / OPP" in test.odds_ratio_text
    text = json.dumps(test.to_dict(), allow_nan=False)  # raises on inf/nan
    assert "Infinity" not in text
    # Haldane-Anscombe: (5.5 * 21.5) / (11.5 * 0.5), Woolf interval on the corrected cells.
    corrected = 5.5 * 21.5 / (11.5 * 0.5)
    half = 1.959963984540054 * math.sqrt(1 / 5.5 + 1 / 11.5 + 1 / 0.5 + 1 / 21.5)
    assert test.corrected_odds_ratio == pytest.approx(corrected)
    assert test.corrected_ci_low == pytest.approx(corrected * math.exp(-half))
    assert test.corrected_ci_high == pytest.approx(corrected * math.exp(half))
    assert test.exact_ci_high is None
    assert test.exact_ci_high_infinite
    assert test.exact_ci_low == pytest.approx(
        stats.contingency.odds_ratio(PAPER_TABLE).confidence_interval().low
    )


def test_no_zero_cell_gives_sample_odds_ratio_with_woolf_interval() -> None:
    test = fisher_exact_test([[10, 5], [4, 12]])
    assert test.odds_ratio == pytest.approx(10 * 12 / (5 * 4))
    half = 1.959963984540054 * math.sqrt(1 / 10 + 1 / 5 + 1 / 4 + 1 / 12)
    assert test.odds_ratio_ci_low == pytest.approx(6 * math.exp(-half))
    assert test.corrected_odds_ratio is None
    assert not test.odds_ratio_infinite


def test_zero_odds_ratio_and_undefined() -> None:
    assert fisher_exact_test([[0, 5], [3, 4]]).odds_ratio == 0.0
    undefined = fisher_exact_test([[0, 0], [3, 4]])
    assert undefined.odds_ratio is None
    assert not undefined.odds_ratio_infinite
    assert "undefined" in undefined.odds_ratio_text


@pytest.mark.parametrize("table", [[[1, 2]], [[1, 2], [3]], [[-1, 2], [3, 4]], [[0, 0], [0, 0]]])
def test_bad_tables(table: list[list[int]]) -> None:
    with pytest.raises(ParameterError):
        fisher_exact_test(table)
