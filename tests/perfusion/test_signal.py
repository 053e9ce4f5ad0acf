"""SPGR signal to concentration."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from pseudoprog.errors import ParameterError
from pseudoprog.perfusion import Baseline, signal_to_concentration, spgr_signal

from .osipi_data import TOLERANCE, array, cases, read

SI2CONC = "SI_to_Conc/data/SI2Conc_data.csv"


def _rows(frame: pd.DataFrame) -> list[Any]:
    return [pytest.param(str(label), id=str(label)) for label in frame["label"]]


@pytest.mark.parametrize("label", cases(SI2CONC, _rows))
def test_matches_osipi_reference(label: str) -> None:
    """OSIPI takes the baseline as the mean of frames 1..n−1 (the first frame skipped)."""
    frame = read(SI2CONC)
    row = frame[frame["label"] == label].iloc[0]
    conc = signal_to_concentration(
        array(row["s"]),
        t10_s=float(row["T1base"]),
        flip_angle_deg=float(row["FA"]),
        tr_s=float(row["TR"]),
        r1_per_mM_s=float(row["r1"]),
        baseline=Baseline(stop=int(row["numbaselinepts"]), first=1),
    )
    a_tol, r_tol = TOLERANCE["conc"]
    np.testing.assert_allclose(conc, array(row["conc"]), atol=a_tol, rtol=r_tol)


@pytest.mark.parametrize("flip", [5.0, 15.0, 30.0])
def test_round_trip_with_voxel_t1(flip: float) -> None:
    rng = np.random.default_rng(3)
    conc = np.concatenate([np.zeros((4, 5)), rng.uniform(0, 3, (4, 40))], axis=1)
    t10 = np.array([0.8, 1.2, 1.6, 2.5])
    signal = spgr_signal(
        conc,
        t10_s=t10,
        flip_angle_deg=flip,
        tr_s=0.004,
        r1_per_mM_s=4.0,
        s0=np.array([500.0, 900.0, 1200.0, 50.0]),
    )
    back = signal_to_concentration(
        signal,
        t10_s=t10,
        flip_angle_deg=flip,
        tr_s=0.004,
        r1_per_mM_s=4.0,
        baseline=Baseline(stop=5),
    )
    np.testing.assert_allclose(back, conc, atol=1e-9)


def test_unexplainable_signal_is_nan() -> None:
    signal = np.array([100.0, 100.0, 1e9, 120.0])
    conc = signal_to_concentration(
        signal,
        t10_s=1.0,
        flip_angle_deg=20.0,
        tr_s=0.005,
        r1_per_mM_s=4.5,
        baseline=Baseline(stop=2),
    )
    assert np.isnan(conc[2])
    assert np.isfinite(conc[3])


def test_baseline_window_is_checked() -> None:
    with pytest.raises(ParameterError, match="baseline frames"):
        Baseline(stop=10).frames(5)
    with pytest.raises(ParameterError, match="baseline frames"):
        Baseline(stop=2, first=2).frames(5)
    assert Baseline(stop=3, first=1).frames(5) == range(1, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flip_angle_deg": 0.0}, "flip_angle_deg"),
        ({"tr_s": -1.0}, "tr_s"),
        ({"r1_per_mM_s": 0.0}, "r1_per_mM_s"),
        ({"t10_s": 0.0}, "t10_s"),
    ],
)
def test_bad_parameters_name_the_argument(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, Any] = {
        "t10_s": 1.0,
        "flip_angle_deg": 10.0,
        "tr_s": 0.005,
        "r1_per_mM_s": 4.5,
        "baseline": Baseline(stop=2),
    }
    args.update(kwargs)
    with pytest.raises(ParameterError, match=message):
        signal_to_concentration(np.ones(6), **args)
