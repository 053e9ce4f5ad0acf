"""The fused linear kernel against the reference implementation (the specification).

Same flags, ``ok`` and NaN pattern, parameters within 1e-6 relative, for both layouts, both
precisions, uniform and irregular sampling, the Tofts and extended Tofts models, one or several
arterial delays, and any chunking.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.perfusion.volumes import assert_same, both, sampling, volume

#: The RSS of the residual pass is float32 in both implementations (same operations).
RSS = {"rss_rtol": 1e-5, "rss_scale": 1e-9}


def layouts(curves: np.ndarray, dtype: type) -> dict[str, np.ndarray]:
    """Voxel-major C, time-major (``data.T``), and a strided view of neither."""
    vm = np.ascontiguousarray(curves, dtype=dtype)
    tm = np.ascontiguousarray(curves.T, dtype=dtype).T
    wide = np.zeros((curves.shape[0], 2 * curves.shape[1]), dtype=dtype)
    wide[:, ::2] = curves
    return {"voxel-major": vm, "time-major": tm, "strided": wide[:, ::2]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("model", ["extended-tofts", "tofts"])
def test_linear_matches_the_reference(dtype: type, uniform: bool, model: str) -> None:
    t = sampling(uniform)
    curves, cp = volume(t, 3001, seed=7)
    for ct in layouts(curves, dtype).values():
        fast, ref = both(model, t, ct, cp, method="linear", workers=2)
        assert_same(fast, ref, ct, **RSS)


def test_linear_matches_with_delays_shapes_and_chunks() -> None:
    t = sampling(True)
    curves, cp = volume(t, 24 * 50, seed=8, background=0.2)
    ct = curves.astype(np.float32).reshape(4, 6, 50, t.size)
    for options in (
        {"chunk_size": 77, "workers": 2},
        {"chunk_size": 1000, "workers": 1},
        {"fit_delay": True, "delay_range_s": (0.0, 6.0), "delay_step_s": 2.0, "workers": 2},
    ):
        fast, ref = both("extended-tofts", t, ct, cp, method="linear", **options)
        assert_same(fast, ref, ct, **RSS)
    fortran = np.asfortranarray(ct)
    fast, ref = both("extended-tofts", t, fortran, cp, method="linear")
    assert_same(fast, ref, fortran, **RSS)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 300),
    frames=st.integers(12, 90),
    uniform=st.booleans(),
    single=st.booleans(),
    time_major=st.booleans(),
    sigma=st.sampled_from([0.0, 1e-3, 0.05, 1.0]),
    background=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_linear_matches_the_reference_on_random_volumes(
    n: int,
    frames: int,
    uniform: bool,
    single: bool,
    time_major: bool,
    sigma: float,
    background: float,
    seed: int,
) -> None:
    t = sampling(uniform, frames)
    curves, cp = volume(t, n, seed=seed, sigma=sigma, background=background)
    dtype = np.float32 if single else np.float64
    ct = layouts(curves, dtype)["time-major" if time_major else "voxel-major"]
    fast, ref = both("extended-tofts", t, ct, cp, method="linear", workers=2)
    assert_same(fast, ref, ct, **RSS)
