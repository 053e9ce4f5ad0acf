"""The compiled loops of the linear fits against independent NumPy computations."""

from __future__ import annotations

import numpy as np
import pytest

from pseudoprog.perfusion import extended_tofts, fit_extended_tofts, parker_aif
from pseudoprog.perfusion._kernels import SUM_ROWS, murase_fit, murase_sums


def sampling(uniform: bool) -> np.ndarray:
    if uniform:
        return np.arange(80) * 3.0
    rng = np.random.default_rng(5)
    return np.concatenate(([0.0], np.cumsum(rng.uniform(1.0, 6.0, 79))))


def curves(
    t: np.ndarray, n: int, seed: int = 1
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    cp = parker_aif(t, delay_s=15.0)
    truth = {
        "ktrans": rng.uniform(0.02, 0.4, n),
        "ve": rng.uniform(0.1, 0.6, n),
        "vp": rng.uniform(0.0, 0.08, n),
    }
    clean = extended_tofts(t, cp, ktrans=truth["ktrans"], ve=truth["ve"], vp=truth["vp"])
    noisy = clean + rng.normal(0.0, 0.01, clean.shape)
    return cp, np.ascontiguousarray(noisy.T), truth  # time-major (T, n)


@pytest.mark.parametrize("uniform", [True, False])
def test_sums_match_numpy(uniform: bool) -> None:
    t = sampling(uniform)
    cp, yt, _ = curves(t, 700)
    steps = np.diff(t / 60.0)
    icp = np.concatenate(([0.0], np.cumsum(steps * (cp[:-1] + cp[1:]) / 2)))
    integral = np.vstack(
        [np.zeros(yt.shape[1]), np.cumsum(steps[:, None] * (yt[:-1] + yt[1:]) / 2, axis=0)]
    )
    expected = {
        "yy": (yt * yt).sum(0),
        "total": yt.sum(0),
        "y_icp": icp @ yt,
        "y_cp": cp @ yt,
        "iy_iy": (integral * integral).sum(0),
        "iy_y": (integral * yt).sum(0),
        "iy_icp": icp @ integral,
        "iy_cp": cp @ integral,
    }
    got = murase_sums(yt, 100, 650, cp, icp, steps)
    for k, name in enumerate(SUM_ROWS):
        np.testing.assert_allclose(got[k], expected[name][100:650], rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("uniform", [True, False])
def test_residual_is_that_of_the_fitted_model(uniform: bool) -> None:
    t = sampling(uniform)
    cp, yt, _ = curves(t, 900, seed=2)
    steps = np.diff(t / 60.0)
    icp = np.concatenate(([0.0], np.cumsum(steps * (cp[:-1] + cp[1:]) / 2)))
    ktrans, _, vp, kep, rss, sstot, flags = murase_fit(
        yt, 0, 900, cp, icp, steps, uniform, True, 1e-3, 10.0, 1, 4, 8
    )
    assert not flags.any()
    model = extended_tofts(t, cp, ktrans=ktrans, ve=(ktrans / kep), vp=vp)
    expected = ((yt.T - model) ** 2).sum(1)
    np.testing.assert_allclose(rss, expected, rtol=1e-4)  # float32 residual pass
    np.testing.assert_allclose(sstot, ((yt - yt.mean(0)) ** 2).sum(0), rtol=1e-9)


def test_linear_fit_recovers_noise_free_parameters() -> None:
    t = sampling(True)
    cp, _, truth = curves(t, 300, seed=3)
    clean = extended_tofts(t, cp, ktrans=truth["ktrans"], ve=truth["ve"], vp=truth["vp"])
    fit = fit_extended_tofts(t, clean, cp, method="linear")
    # Murase's trapezoid linearisation is close to, not exactly, the continuous model
    np.testing.assert_allclose(fit.ktrans, truth["ktrans"], atol=0.01)
    np.testing.assert_allclose(fit.vp, truth["vp"], atol=0.005)
    assert np.all(fit.rss < 1e-3 * (clean**2).sum(1))


def test_time_major_and_voxel_major_inputs_agree() -> None:
    t = sampling(True)
    cp, yt, _ = curves(t, 5000, seed=4)
    in_place = fit_extended_tofts(t, yt.T, cp, method="linear", chunk_size=700, workers=2)
    copied = fit_extended_tofts(t, np.ascontiguousarray(yt.T), cp, method="linear", chunk_size=700)
    for name in ("ktrans", "ve", "vp", "kep", "rss"):
        np.testing.assert_array_equal(getattr(in_place, name), getattr(copied, name), name)


def test_singular_voxels_are_failed_not_crashes() -> None:
    t = sampling(True)
    cp = parker_aif(t, delay_s=15.0)
    flat = np.zeros((3, t.size))
    with pytest.warns(Warning, match="could not be fitted"):
        fit = fit_extended_tofts(t, flat, cp, method="linear")
    assert np.isnan(fit.ktrans).all()
    assert not fit.ok.any()
