"""ROI summaries, percent change and evidence rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from pseudoprog.domain import Evidence
from pseudoprog.errors import ParameterError
from pseudoprog.perfusion import (
    VP_CHANGE_KIND,
    RoiStatistic,
    parameter_change,
    percent_change,
    roi_summaries,
    vp_change_evidence,
)


def test_summaries_per_label_and_parameter() -> None:
    labels = np.array([[1, 1, 2], [1, 2, 0]])
    vp = np.array([[0.01, 0.03, 0.2], [0.02, np.nan, 5.0]])
    ok = np.array([[True, True, True], [True, True, False]])
    rows = roi_summaries({"vp": vp, "ktrans": vp * 10}, labels, ok=ok)
    assert [(r.parameter, r.label) for r in rows] == [
        ("vp", 1),
        ("vp", 2),
        ("ktrans", 1),
        ("ktrans", 2),
    ]
    first = rows[0]
    assert (first.voxels, first.used) == (3, 3)
    assert first.mean == pytest.approx(0.02)
    assert first.median == pytest.approx(0.02)
    assert first.q1 == pytest.approx(0.015)
    assert first.iqr == pytest.approx(0.01)
    second = rows[1]
    assert (second.voxels, second.used, second.median) == (2, 1, 0.2)  # NaN left out
    assert second.value(RoiStatistic.MEAN) == pytest.approx(0.2)


def test_empty_region_gives_nan_and_bad_labels_are_rejected() -> None:
    rows = roi_summaries({"vp": np.full((2, 2), np.nan)}, np.ones((2, 2), int))
    assert rows[0].used == 0
    assert np.isnan(rows[0].median)
    with pytest.raises(ParameterError, match="no non-zero label"):
        roi_summaries({"vp": np.ones(3)}, np.zeros(3, int))
    with pytest.raises(ParameterError, match="whole numbers"):
        roi_summaries({"vp": np.ones(3)}, np.array([0.5, 1.0, 1.0]))
    with pytest.raises(ParameterError, match="shape"):
        roi_summaries({"vp": np.ones(4)}, np.ones(3, int))


def test_percent_change_matches_the_paper_direction() -> None:
    assert percent_change(0.10, 0.0427) == pytest.approx(-57.3)
    assert percent_change(0.05, 0.0941) == pytest.approx(88.2)
    with pytest.raises(ParameterError, match="baseline value is 0"):
        percent_change(0.0, 0.1)
    with pytest.raises(ParameterError, match="finite"):
        percent_change(float("nan"), 0.1)


def test_evidence_row_for_vp_change() -> None:
    labels = np.ones(4, int)
    before = roi_summaries({"vp": np.array([0.04, 0.05, 0.06, 0.05])}, labels)[0]
    after = roi_summaries({"vp": np.array([0.02, 0.03, 0.02, 0.02])}, labels)[0]
    evidence = vp_change_evidence(" L1 ", date(2023, 5, 2), before, after)
    assert evidence == Evidence("L1", date(2023, 5, 2), VP_CHANGE_KIND, -60.0)
    mean = vp_change_evidence("L1", date(2023, 5, 2), before, after, statistic="mean")
    assert mean.value == pytest.approx(-55.0)
    ktrans = roi_summaries({"ktrans": np.ones(4)}, labels)[0]
    with pytest.raises(ParameterError, match="vp summaries"):
        vp_change_evidence("L1", date(2023, 5, 2), ktrans, ktrans)
    with pytest.raises(ParameterError, match="cannot compare"):
        parameter_change(before, ktrans)
    with pytest.raises(ParameterError, match="lesion_id"):
        vp_change_evidence("  ", date(2023, 5, 2), before, after)
