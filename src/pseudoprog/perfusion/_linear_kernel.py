"""The fused linear (Murase) fit: one compiled pass per block of voxels (numba; internal).

Same mathematics as :func:`pseudoprog.perfusion._kernels.murase_fit`, which is kept as the
reference implementation (tests compare the two), arranged for the memory system:

* the eight running sums of a block live in one flat float64 array at offsets fixed at
  compile time (``k·BLOCK``), so the loop over the voxels of a block vectorises without
  run-time alias checks; time is unrolled by four, so each sum is loaded and stored once per
  four frames; with uniform sampling ``Σ I·y`` has the closed form ``(h/2)·S·(S − y₀)``
  (``S = Σ y``) and is not accumulated;
* the residual of the fitted model runs on the same block right after its solve, while the
  block's curves are still in the CPU cache;
* time-major data ``(T, N)`` are read in place, 128 voxels at a time; voxel-major data
  ``(N, T)`` are copied 48 voxels at a time into a small time-major tile (23 KB in float32)
  that stays in the first-level cache, so no copy of the whole array is ever made.

The sums stay in float64 (the 3 × 3 normal equations have condition numbers up to about 1e6);
the residual pass runs in float32 with the squares summed in float64, as in the reference.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from pseudoprog.perfusion._kernels import SERIES_LIMIT

__all__ = ["BLOCK", "TILE", "fit_block_range"]

#: Voxels per block of time-major data (read in place), and the stride of the sums array.
BLOCK = 128
#: Voxels per tile of voxel-major data (copied to a time-major tile in cache).
TILE = 48
#: Rows of the flat sums array: the eight sums, then the running integral and previous y.
_ROWS = 10
_FAST = {"contract", "reassoc"}
#: The sums are accumulated in the reference's order (no reassociation), so that they are
#: bitwise those of the reference.
_CONTRACT = {"contract"}

Array = npt.NDArray[np.float64]


@njit(nogil=True, cache=False, inline="always", fastmath=_FAST, error_model="numpy")
def _weights(x: float, dt: float) -> tuple[float, float, float]:  # pragma: no cover
    """Decay and left/right weights of one step for ``x = kep·dt`` (as the reference)."""
    if abs(x) < SERIES_LIMIT:
        phi1 = 1.0 - x / 2.0 + x * x / 6.0
        phi2 = 0.5 - x / 6.0 + x * x / 24.0 - x * x * x / 120.0
    else:
        e = np.expm1(-x)
        phi1 = -e / x
        phi2 = (x + e) / (x * x)
    w1 = dt * phi2
    return np.exp(-x), dt * phi1 - w1, w1


@njit(nogil=True, cache=False, inline="always", fastmath=_CONTRACT, error_model="numpy")
def _sums(
    src: npt.NDArray[np.floating],
    j0: int,
    m: int,
    cp: Array,
    icp: Array,
    steps: Array,
    uniform: bool,
    acc: Array,
) -> None:  # pragma: no cover - compiled; tested through fit_block_range
    """The sums of columns ``j0:j0+m`` of the time-major ``src`` into ``acc[k·BLOCK + j]``.

    Rows 0–7 of ``acc``: ``y·y``, ``Σy``, ``y·∫Cp``, ``y·Cp``, ``∫y·∫y``, ``∫y·y``,
    ``∫y·∫Cp``, ``∫y·Cp``; rows 8 and 9 hold the running integral and the previous sample.
    """
    for j in range(m):
        y = np.float64(src[0, np.uint64(j0 + j)])
        acc[0 * BLOCK + j] = y * y
        acc[1 * BLOCK + j] = y
        acc[2 * BLOCK + j] = y * icp[0]
        acc[3 * BLOCK + j] = y * cp[0]
        acc[4 * BLOCK + j] = 0.0
        acc[5 * BLOCK + j] = 0.0
        acc[6 * BLOCK + j] = 0.0
        acc[7 * BLOCK + j] = 0.0
        acc[8 * BLOCK + j] = 0.0
        acc[9 * BLOCK + j] = y
    if uniform:
        _accumulate(src, j0, m, cp, icp, steps, acc, False)
        h2 = 0.5 * steps[0]  # Σ I·y = (h/2)·S·(S − y₀) for a constant step h
        for j in range(m):
            total = acc[1 * BLOCK + j]
            acc[5 * BLOCK + j] = h2 * total * (total - np.float64(src[0, np.uint64(j0 + j)]))
    else:
        _accumulate(src, j0, m, cp, icp, steps, acc, True)


@njit(nogil=True, cache=False, inline="always", fastmath=_CONTRACT, error_model="numpy")
def _frame(
    state: tuple[float, float, float, float, float, float, float, float, float, float],
    y: float,
    half: float,
    c_i: float,
    c_p: float,
    with_iy: bool,
) -> tuple[float, float, float, float, float, float, float, float, float, float]:
    """One frame of the running sums, operation for operation as the reference."""
    yy, total, y_icp, y_cp, iy_iy, iy_y, iy_icp, iy_cp, running, previous = state
    integral = running + half * (previous + y)
    return (
        yy + y * y,
        total + y,
        y_icp + y * c_i,
        y_cp + y * c_p,
        iy_iy + integral * integral,
        iy_y + integral * y if with_iy else iy_y,
        iy_icp + integral * c_i,
        iy_cp + integral * c_p,
        integral,
        y,
    )


@njit(nogil=True, cache=False, inline="always", fastmath=_CONTRACT, error_model="numpy")
def _accumulate(
    src: npt.NDArray[np.floating],
    j0: int,
    m: int,
    cp: Array,
    icp: Array,
    steps: Array,
    acc: Array,
    with_iy: bool,
) -> None:  # pragma: no cover - compiled; tested through fit_block_range
    """Frames 1… of :func:`_sums`; ``Σ I·y`` (row 5) only with ``with_iy``."""
    frames = src.shape[0]
    t = 1
    while t + 3 < frames:
        ha = 0.5 * steps[t - 1]
        hb = 0.5 * steps[t]
        hc = 0.5 * steps[t + 1]
        hd = 0.5 * steps[t + 2]
        ia, ib, ic, id_ = icp[t], icp[t + 1], icp[t + 2], icp[t + 3]
        ca, cb, cc, cd = cp[t], cp[t + 1], cp[t + 2], cp[t + 3]
        for j in range(m):
            state = (
                acc[0 * BLOCK + j], acc[1 * BLOCK + j], acc[2 * BLOCK + j],
                acc[3 * BLOCK + j], acc[4 * BLOCK + j], acc[5 * BLOCK + j],
                acc[6 * BLOCK + j], acc[7 * BLOCK + j], acc[8 * BLOCK + j],
                acc[9 * BLOCK + j],
            )  # fmt: skip
            state = _frame(state, np.float64(src[t, np.uint64(j0 + j)]), ha, ia, ca, with_iy)
            state = _frame(state, np.float64(src[t + 1, np.uint64(j0 + j)]), hb, ib, cb, with_iy)
            state = _frame(state, np.float64(src[t + 2, np.uint64(j0 + j)]), hc, ic, cc, with_iy)
            state = _frame(state, np.float64(src[t + 3, np.uint64(j0 + j)]), hd, id_, cd, with_iy)
            for k in range(_ROWS):
                acc[k * BLOCK + j] = state[k]
        t += 4
    while t < frames:
        half = 0.5 * steps[t - 1]
        c_i = icp[t]
        c_p = cp[t]
        for j in range(m):
            y = np.float64(src[t, np.uint64(j0 + j)])
            r = acc[8 * BLOCK + j] + half * (acc[9 * BLOCK + j] + y)
            acc[0 * BLOCK + j] += y * y
            acc[1 * BLOCK + j] += y
            acc[2 * BLOCK + j] += y * c_i
            acc[3 * BLOCK + j] += y * c_p
            acc[4 * BLOCK + j] += r * r
            if with_iy:
                acc[5 * BLOCK + j] += r * y
            acc[6 * BLOCK + j] += r * c_i
            acc[7 * BLOCK + j] += r * c_p
            acc[8 * BLOCK + j] = r
            acc[9 * BLOCK + j] = y
        t += 1


@njit(nogil=True, cache=False, inline="always", fastmath=_FAST, error_model="numpy")
def _solve_and_residual(
    src: npt.NDArray[np.floating],
    j0: int,
    m: int,
    o0: int,
    cp: Array,
    steps: Array,
    uniform: bool,
    with_vp: bool,
    gram: tuple[float, float, float],
    kep_range: tuple[float, float],
    flag_bits: tuple[int, int, int],
    acc: Array,
    work: Array,
    work32: npt.NDArray[np.float32],
    out: tuple[Array, Array, Array, Array, Array, Array, npt.NDArray[np.uint8]],
) -> None:  # pragma: no cover - compiled; tested through fit_block_range
    """Solve the block's normal equations, then its model residual; write ``out[o0:o0+m]``."""
    ktrans, ve, vp, kep, rss, sstot, flags = out
    g11, g13, g33 = gram
    kep_min, kep_max = kep_range
    flag_failed, flag_kep_bound, flag_unphysical = flag_bits
    frames = src.shape[0]
    # work rows: 0 kep, 1 ktrans, 2 vp, 3 residual, 4 singular
    # work32 rows: 0 decay, 1 w0, 2 w1, 3 conv, 4 ktrans, 5 vp
    for j in range(m):
        yy = acc[0 * BLOCK + j]
        total = acc[1 * BLOCK + j]
        b1 = acc[2 * BLOCK + j]
        b3 = acc[3 * BLOCK + j]
        g22 = acc[4 * BLOCK + j]
        b2 = -acc[5 * BLOCK + j]
        g12 = -acc[6 * BLOCK + j]
        g23 = -acc[7 * BLOCK + j]
        o = o0 + j
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
        work[4 * BLOCK + j] = 1.0 if bad else 0.0
        work[0 * BLOCK + j] = np.nan if bad else k
        work[1 * BLOCK + j] = np.nan if bad else kt
        work[2 * BLOCK + j] = np.nan if bad else v
        x = 0.0 if bad else k * steps[0]
        d, w0, w1 = _weights(x, steps[0])
        work32[0 * BLOCK + j] = d
        work32[1 * BLOCK + j] = w0
        work32[2 * BLOCK + j] = w1
        work32[3 * BLOCK + j] = 0.0
        work32[4 * BLOCK + j] = 0.0 if bad else kt
        work32[5 * BLOCK + j] = 0.0 if bad else v
        r = np.float64(src[0, np.uint64(j0 + j)]) - (0.0 if bad else v) * cp[0]
        work[3 * BLOCK + j] = r * r
    for t in range(1, frames):
        c_prev = np.float32(cp[t - 1])
        c_now = np.float32(cp[t])
        if not uniform:
            dt = steps[t - 1]
            for j in range(m):
                k = work[0 * BLOCK + j]
                x = 0.0 if np.isnan(k) else k * dt
                d, w0, w1 = _weights(x, dt)
                work32[0 * BLOCK + j] = d
                work32[1 * BLOCK + j] = w0
                work32[2 * BLOCK + j] = w1
        for j in range(m):
            c = (
                work32[0 * BLOCK + j] * work32[3 * BLOCK + j]
                + work32[1 * BLOCK + j] * c_prev
                + work32[2 * BLOCK + j] * c_now
            )
            work32[3 * BLOCK + j] = c
            r = np.float32(src[t, np.uint64(j0 + j)]) - work32[5 * BLOCK + j] * c_now
            r -= work32[4 * BLOCK + j] * c
            work[3 * BLOCK + j] += np.float64(r * r)
    for j in range(m):
        o = o0 + j
        k = work[0 * BLOCK + j]
        kt = work[1 * BLOCK + j]
        ktrans[o] = kt
        kep[o] = k
        vp[o] = work[2 * BLOCK + j] if with_vp else np.nan
        if work[4 * BLOCK + j] != 0.0:
            rss[o] = np.nan
            ve[o] = np.nan
            flags[o] = flag_failed
            continue
        rss[o] = work[3 * BLOCK + j]
        ve[o] = kt / k if k != 0 else np.nan
        flag = 0
        if k < kep_min or k > kep_max:
            flag |= flag_kep_bound
        if k <= 0:
            flag |= flag_unphysical
        flags[o] = flag


@njit(nogil=True, cache=True, fastmath=_CONTRACT, error_model="numpy")
def fit_block_range(
    data: npt.NDArray[np.floating],
    voxel_major: bool,
    start: int,
    stop: int,
    cp: Array,
    icp: Array,
    steps: Array,
    uniform: bool,
    with_vp: bool,
    gram: tuple[float, float, float],
    kep_range: tuple[float, float],
    flag_bits: tuple[int, int, int],
    out: tuple[Array, Array, Array, Array, Array, Array, npt.NDArray[np.uint8]],
    offset: int,
) -> None:  # pragma: no cover - compiled; tested against the reference
    """Linear least-squares (extended) Tofts fit of voxels ``start:stop`` of ``data``.

    ``data`` is time-major ``(T, N)`` (``voxel_major`` False, read in place) or voxel-major
    ``(N, T)`` (``voxel_major`` True, copied one tile at a time), C-contiguous. The results
    (``ktrans, ve, vp, kep, rss, sstot, flags``, as the reference ``murase_fit``) of voxel
    ``i`` go to ``out[·][offset + i − start]``.
    """
    frames = data.shape[1] if voxel_major else data.shape[0]
    acc = np.empty(_ROWS * BLOCK)
    work = np.empty(5 * BLOCK)
    work32 = np.empty(6 * BLOCK, dtype=np.float32)
    tile = np.zeros((frames, TILE), dtype=data.dtype)
    step = TILE if voxel_major else BLOCK
    for b0 in range(start, stop, step):
        m = min(stop, b0 + step) - b0
        if voxel_major:
            for j in range(m):  # transpose a tile of curves into the cached buffer
                v = np.uint64(b0 + j)
                for t in range(frames):
                    tile[np.uint64(t), np.uint64(j)] = data[v, np.uint64(t)]
            src = tile
            j0 = 0
        else:
            src = data
            j0 = b0
        _sums(src, j0, m, cp, icp, steps, uniform, acc)
        _solve_and_residual(
            src, j0, m, offset + b0 - start, cp, steps, uniform, with_vp, gram, kep_range,
            flag_bits, acc, work, work32, out,
        )  # fmt: skip
