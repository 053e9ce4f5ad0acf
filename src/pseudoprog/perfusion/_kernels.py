"""Compiled per-voxel loops of the linear fits (numba; internal).

The linear (Murase) fits need, per voxel, a handful of sums over time, a 3 × 3 solve, and the
residual of the fitted model, which convolves the AIF with the voxel's own ``exp(−kep·t)``.
In NumPy each of these is a separate pass over the data; here they run in one compiled loop
per block of voxels, so a block's curves are read from memory once and are still in the CPU
cache for the residual. The loops release the GIL, so worker threads fit chunks side by side.

Data are time-major ``(T, N)`` float32 or float64; a call works on the columns
``start:stop``, so that a chunk of a large C-ordered array is read in place (contiguous rows,
vectorised loops) without a copy. The convolution uses the discretisation of
:func:`pseudoprog.perfusion.models.exp_convolve` (input linear between samples, exact
integration); a test checks that both agree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["BLOCK", "SUM_ROWS", "murase_fit", "murase_sums"]

#: Voxels per block: a block's curves and running values stay in the CPU cache.
BLOCK = 512
#: Below this ``|kep·dt|`` the step weights use their Taylor series (as in ``models``).
SERIES_LIMIT = 1e-4
#: Floating-point licences: fused multiply-add and reassociation, but not "no NaN/inf",
#: so that non-finite values are still detected.
_FAST = {"contract", "reassoc"}

#: Rows of :func:`murase_sums`: ``y`` a curve, ``I`` its cumulative trapezoid integral.
SUM_ROWS = ("yy", "total", "y_icp", "y_cp", "iy_iy", "iy_y", "iy_icp", "iy_cp")

Array = npt.NDArray[np.float64]


@njit(nogil=True, cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _block_sums(
    yt: npt.NDArray[np.floating],
    j0: int,
    j1: int,
    cp: Array,
    icp: Array,
    steps: Array,
    acc: Array,
) -> None:  # pragma: no cover - compiled; tested through its callers
    """Fill ``acc[k, :j1 - j0]`` with the sums :data:`SUM_ROWS` of columns ``j0:j1``."""
    frames = yt.shape[0]
    m = j1 - j0
    running = np.zeros(m)
    previous = np.empty(m)
    yy = acc[0, :m]
    total = acc[1, :m]
    y_icp = acc[2, :m]
    y_cp = acc[3, :m]
    iy_iy = acc[4, :m]
    iy_y = acc[5, :m]
    iy_icp = acc[6, :m]
    iy_cp = acc[7, :m]
    for j in range(m):
        y = np.float64(yt[0, j0 + j])
        previous[j] = y
        yy[j] = y * y
        total[j] = y
        y_icp[j] = y * icp[0]
        y_cp[j] = y * cp[0]
        iy_iy[j] = 0.0
        iy_y[j] = 0.0
        iy_icp[j] = 0.0
        iy_cp[j] = 0.0
    for t in range(1, frames):
        half = 0.5 * steps[t - 1]
        c_i = icp[t]
        c_p = cp[t]
        row = yt[t, j0:j1]
        for j in range(m):
            y = np.float64(row[j])
            integral = running[j] + half * (previous[j] + y)
            running[j] = integral
            previous[j] = y
            yy[j] += y * y
            total[j] += y
            y_icp[j] += y * c_i
            y_cp[j] += y * c_p
            iy_iy[j] += integral * integral
            iy_y[j] += integral * y
            iy_icp[j] += integral * c_i
            iy_cp[j] += integral * c_p


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy")
def murase_sums(
    yt: npt.NDArray[np.floating],
    start: int,
    stop: int,
    cp: Array,
    icp: Array,
    steps: Array,
) -> Array:  # pragma: no cover - compiled; tested through its callers
    """The sums :data:`SUM_ROWS` of columns ``start:stop`` of ``yt``, shape ``(8, n)``."""
    out = np.empty((8, stop - start))
    acc = np.empty((8, BLOCK))
    for j0 in range(start, stop, BLOCK):
        j1 = min(stop, j0 + BLOCK)
        _block_sums(yt, j0, j1, cp, icp, steps, acc)
        out[:, j0 - start : j1 - start] = acc[:, : j1 - j0]
    return out


@njit(nogil=True, cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _step_weights(x: float, dt: float) -> tuple[float, float, float]:  # pragma: no cover
    """Decay and left/right weights of one step for ``x = kep·dt`` (see ``models._weights``)."""
    if abs(x) < SERIES_LIMIT:
        phi1 = 1.0 - x / 2.0 + x * x / 6.0
        phi2 = 0.5 - x / 6.0 + x * x / 24.0 - x * x * x / 120.0
    else:
        e = np.expm1(-x)
        phi1 = -e / x
        phi2 = (x + e) / (x * x)
    w1 = dt * phi2
    return np.exp(-x), dt * phi1 - w1, w1


@njit(nogil=True, cache=True, fastmath=_FAST, error_model="numpy")
def murase_fit(
    yt: npt.NDArray[np.floating],
    start: int,
    stop: int,
    cp: Array,
    icp: Array,
    steps: Array,
    uniform: bool,
    with_vp: bool,
    kep_min: float,
    kep_max: float,
    flag_failed: int,
    flag_kep_bound: int,
    flag_unphysical: int,
) -> tuple[Array, Array, Array, Array, Array, Array, npt.NDArray[np.uint8]]:  # pragma: no cover
    """Linear least-squares (extended) Tofts fit of columns ``start:stop``.

    Returns ``ktrans``, ``ve``, ``vp`` (NaN without ``with_vp``), ``kep`` (/min), the residual
    sum of squares of the fitted model curve, the total sum of squares about the mean, and the
    flags: ``flag_failed`` for singular normal equations (values NaN), ``flag_kep_bound`` for
    kep outside ``[kep_min, kep_max]``, ``flag_unphysical`` for kep ≤ 0.
    """
    frames = yt.shape[0]
    n = stop - start
    ktrans = np.empty(n)
    ve = np.empty(n)
    kep = np.empty(n)
    vp = np.empty(n)
    rss = np.empty(n)
    sstot = np.empty(n)
    flags = np.zeros(n, dtype=np.uint8)
    singular = np.zeros(n, dtype=np.bool_)
    g11 = 0.0
    g13 = 0.0
    g33 = 0.0
    for t in range(frames):
        g11 += icp[t] * icp[t]
        g13 += icp[t] * cp[t]
        g33 += cp[t] * cp[t]
    acc = np.empty((8, BLOCK))
    # The residual pass runs in float32 (twice the SIMD width); the squares are summed in
    # float64. Its relative error on the RSS is about 1e-5, far below any fit's noise.
    decay = np.empty(BLOCK, dtype=np.float32)
    w0 = np.empty(BLOCK, dtype=np.float32)
    w1 = np.empty(BLOCK, dtype=np.float32)
    conv = np.empty(BLOCK, dtype=np.float32)
    res = np.empty(BLOCK)
    kt32 = np.empty(BLOCK, dtype=np.float32)
    vp32 = np.empty(BLOCK, dtype=np.float32)
    for j0 in range(start, stop, BLOCK):
        j1 = min(stop, j0 + BLOCK)
        m = j1 - j0
        _block_sums(yt, j0, j1, cp, icp, steps, acc)
        # Normal equations of Ct = a·∫Cp − kep·∫Ct + vp·Cp, a = Ktrans + kep·vp.
        for j in range(m):
            yy, total, b1, b3 = acc[0, j], acc[1, j], acc[2, j], acc[3, j]
            g22, b2, g12, g23 = acc[4, j], -acc[5, j], -acc[6, j], -acc[7, j]
            o = j0 - start + j
            sstot[o] = max(yy - total * total / frames, 0.0)
            if with_vp:
                c11 = g22 * g33 - g23 * g23
                c12 = g13 * g23 - g12 * g33
                c13 = g12 * g23 - g13 * g22
                c22 = g11 * g33 - g13 * g13
                c23 = g12 * g13 - g11 * g23
                c33 = g11 * g22 - g12 * g12
                det = g11 * c11 + g12 * c12 + g13 * c13
                scale = g11 * g22 * g33
                a = (c11 * b1 + c12 * b2 + c13 * b3) / det
                k = (c12 * b1 + c22 * b2 + c23 * b3) / det
                v = (c13 * b1 + c23 * b2 + c33 * b3) / det
            else:
                det = g11 * g22 - g12 * g12
                scale = g11 * g22
                a = (g22 * b1 - g12 * b2) / det
                k = (g11 * b2 - g12 * b1) / det
                v = 0.0
            kt = a - k * v
            bad = not (abs(det) > 1e-12 * abs(scale)) or not np.isfinite(kt + k + v)
            singular[o] = bad
            ktrans[o] = np.nan if bad else kt
            kep[o] = np.nan if bad else k
            vp[o] = np.nan if bad else v
            x = 0.0 if bad else k * steps[0]
            decay[j], w0[j], w1[j] = _step_weights(x, steps[0])
            conv[j] = 0.0
            kt32[j] = 0.0 if bad else kt
            vp32[j] = 0.0 if bad else v
            r = np.float64(yt[0, j0 + j]) - (0.0 if bad else v) * cp[0]
            res[j] = r * r
        # Residual of the fitted model, while the block's curves are in cache.
        for t in range(1, frames):
            c_prev = np.float32(cp[t - 1])
            c_now = np.float32(cp[t])
            row = yt[t, j0:j1]
            if not uniform:
                for j in range(m):
                    k = kep[j0 - start + j]
                    x = 0.0 if np.isnan(k) else k * steps[t - 1]
                    decay[j], w0[j], w1[j] = _step_weights(x, steps[t - 1])
            for j in range(m):
                c = decay[j] * conv[j] + w0[j] * c_prev + w1[j] * c_now
                conv[j] = c
                r = np.float32(row[j]) - vp32[j] * c_now - kt32[j] * c
                res[j] += np.float64(r * r)
        for j in range(m):
            o = j0 - start + j
            k = kep[o]
            if singular[o]:
                rss[o] = np.nan
                ve[o] = np.nan
                flags[o] = flag_failed
                continue
            rss[o] = res[j]
            ve[o] = ktrans[o] / k if k != 0 else np.nan
            flag = 0
            if k < kep_min or k > kep_max:
                flag |= flag_kep_bound
            if k <= 0:
                flag |= flag_unphysical
            flags[o] = flag
            if not with_vp:
                vp[o] = np.nan
    return ktrans, ve, vp, kep, rss, sstot, flags
