"""Variable flip angle T1 mapping against the OSIPI T1 sets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from pseudoprog.errors import ParameterError
from pseudoprog.perfusion import T1Method, vfa_t1

from .osipi_data import TOLERANCE, array, cases, read

SETS = {
    "brain": "T1_mapping/data/t1_brain_data.csv",
    "quiba": "T1_mapping/data/t1_quiba_data.csv",
    "prostate": "T1_mapping/data/t1_prostate_data.csv",
}


def _reference(name: str, row: pd.Series, method: T1Method) -> tuple[float, float]:
    """TR (s) and reference R1 (/s) with each set's units (OSIPI test/T1_mapping/t1_data.py).

    brain: TR s, R1 /s; quiba: TR s, R1 /ms; prostate: TR ms, T1 ms from linear and
    non-linear fits (each method is compared with its own).
    """
    tr = float(array(row["TR"])[0])
    if name == "brain":
        return tr, float(row["R1"])
    if name == "quiba":
        return tr, float(row["R1"]) * 1000.0
    column = "T1 nonlinear" if method is T1Method.NONLINEAR else "T1 linear"
    return tr / 1000.0, 1000.0 / float(row[column])


def _params(name: str) -> list[Any]:
    def make(frame: pd.DataFrame) -> list[Any]:
        return [
            pytest.param((name, str(label), method), id=f"{label}-{method.value}")
            for label in frame["label"]
            for method in T1Method
        ]

    return cases(SETS[name], make)


@pytest.mark.parametrize("case", _params("brain") + _params("quiba") + _params("prostate"))
def test_matches_osipi_reference(case: tuple[str, str, T1Method]) -> None:
    name, label, method = case
    frame = read(SETS[name])
    row = frame[frame["label"] == label].iloc[0]
    tr, r1_ref = _reference(name, row, method)
    result = vfa_t1(array(row["s"]), flip_angles_deg=array(row["FA"]), tr_s=tr, method=method)
    assert bool(result.ok)
    a_tol, r_tol = TOLERANCE["r1"]
    assert abs(float(result.r1_per_s) - r1_ref) <= a_tol + r_tol * abs(r1_ref)


@pytest.mark.parametrize("method", list(T1Method))
def test_noise_free_map_is_exact(method: T1Method) -> None:
    fa = np.array([2.0, 5.0, 10.0, 15.0, 20.0])
    t1 = np.array([[0.3, 0.8], [1.4, 4.0]])
    s0 = np.array([[800.0, 1000.0], [1500.0, 300.0]])
    tr = 0.0045
    e = np.exp(-tr / t1)[..., None]
    a = np.deg2rad(fa)
    s = s0[..., None] * np.sin(a) * (1 - e) / (1 - np.cos(a) * e)
    result = vfa_t1(s, flip_angles_deg=fa, tr_s=tr, method=method)
    np.testing.assert_allclose(result.t1_s, t1, rtol=1e-6)
    np.testing.assert_allclose(result.s0, s0, rtol=1e-6)


def test_nonlinear_fits_the_signal_at_least_as_well_as_linear() -> None:
    rng = np.random.default_rng(5)
    fa = np.array([2.0, 5.0, 10.0, 15.0])
    tr = 0.005
    a = np.deg2rad(fa)
    e = np.exp(-tr / rng.uniform(0.5, 2.0, 200))[:, None]
    s = 1000 * np.sin(a) * (1 - e) / (1 - np.cos(a) * e) + rng.normal(0, 2.0, (200, 4))

    def rss(res: Any) -> np.ndarray:
        ee = np.exp(-tr / res.t1_s)[:, None]
        model = res.s0[:, None] * np.sin(a) * (1 - ee) / (1 - np.cos(a) * ee)
        return np.sum((s - model) ** 2, axis=1)

    lin = vfa_t1(s, flip_angles_deg=fa, tr_s=tr, method="linear")
    non = vfa_t1(s, flip_angles_deg=fa, tr_s=tr, method="nonlinear")
    assert np.all(rss(non) <= rss(lin) * (1 + 1e-9) + 1e-9)


def test_b1_scales_the_flip_angles() -> None:
    fa = np.array([3.0, 12.0])
    a = np.deg2rad(fa * 0.9)
    e = np.exp(-0.005 / 1.0)
    s = np.sin(a) * (1 - e) / (1 - np.cos(a) * e)
    assert float(vfa_t1(s, flip_angles_deg=fa, tr_s=0.005, b1=0.9).t1_s) == pytest.approx(1.0)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ParameterError, match="two distinct"):
        vfa_t1(np.ones(2), flip_angles_deg=[5.0, 5.0], tr_s=0.005)
    with pytest.raises(ParameterError, match="last axis"):
        vfa_t1(np.ones(3), flip_angles_deg=[5.0, 10.0], tr_s=0.005)
    with pytest.raises(ParameterError, match="tr_s"):
        vfa_t1(np.ones(2), flip_angles_deg=[5.0, 10.0], tr_s=0.0)
    with pytest.raises(ParameterError, match="method"):
        vfa_t1(np.ones(2), flip_angles_deg=[5.0, 10.0], tr_s=0.005, method="cubic")
    assert not bool(vfa_t1(np.zeros(2), flip_angles_deg=[5.0, 10.0], tr_s=0.005).ok)
