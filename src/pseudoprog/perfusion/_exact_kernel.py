"""The fused per-voxel pass of the exact extended Tofts fit (numba; internal).

After the two matrix products of a chunk (projection on the basis, and ``y·e`` on the kep
grid, see :mod:`pseudoprog.perfusion._exact_driver`), everything else of a voxel runs here in
one compiled, GIL-free loop: ``y·y`` in float64, the best grid node, the Chebyshev
coefficients of ``y·e(u)`` in its cell, the dense search, parabola and guarded Newton step of
:func:`pseudoprog.perfusion._basis.maximize_local`, the parameters, and, for a voxel whose
unconstrained optimum breaks a constraint, the four feasible candidates of
:func:`pseudoprog.perfusion._exact.fit_extended_tofts_exact` (no uptake, the face vp = 0, the
feasible interior, the face ve = ve_max) and the best of them. The arithmetic follows the NumPy
reference step by step; the reference is kept and the tests compare the two.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["fit_voxels"]

Array = npt.NDArray[np.float64]
#: A projection below this fraction of ``|y|`` is round-off: no uptake (as the reference).
_ZERO = 1e-9
_D = 11  # DEGREE + 1
_COARSE = 33
_FINE = 17


@njit(nogil=True, cache=False, inline="always")
def _argmax(values: npt.NDArray[np.floating]) -> int:  # pragma: no cover - compiled
    """``np.argmax``: the first maximum, or the first NaN."""
    best = 0
    top = values[0]
    if np.isnan(top):
        return 0
    for c in range(1, values.size):
        v = values[c]
        if np.isnan(v):
            return c
        if v > top:
            top = v
            best = c
    return best


@njit(nogil=True, cache=False, inline="always")
def _argmin(values: Array) -> int:  # pragma: no cover - compiled
    """``np.argmin``: the first minimum, or the first NaN."""
    best = 0
    low = values[0]
    if np.isnan(low):
        return 0
    for c in range(1, values.size):
        v = values[c]
        if np.isnan(v):
            return c
        if v < low:
            low = v
            best = c
    return best


@njit(nogil=True, cache=False, inline="always")
def _clip(v: float, low: float, high: float) -> float:  # pragma: no cover - compiled
    """``np.clip`` of a scalar (NaN stays NaN)."""
    if v < low:
        v = low
    if v > high:
        v = high
    return v


@njit(nogil=True, cache=False, inline="always")
def _terms(x: float, out: Array) -> None:  # pragma: no cover - compiled
    """Chebyshev terms ``T_0..T_D(x)`` as :func:`._basis.chebyshev_terms`."""
    out[0] = 1.0
    out[1] = x
    twice = 2.0 * x
    for n in range(2, _D):
        out[n] = twice * out[n - 1]
        out[n] -= out[n - 2]


@njit(nogil=True, cache=False, inline="always")
def _dot(a: Array, b: Array) -> float:  # pragma: no cover - compiled
    total = 0.0
    for k in range(a.size):
        total += a[k] * b[k]
    return total


@njit(nogil=True, cache=False, inline="always")
def _coefficients(table_t: Array, cell: int, z: Array, coef: Array) -> None:  # pragma: no cover
    """``coef[k] = Σ_r table[cell, k, r]·z[r]`` from the ``(K, r, D+1)`` transposed table."""
    for k in range(_D):
        coef[k] = 0.0
    for r in range(z.size):
        zr = z[r]
        for k in range(_D):
            coef[k] += table_t[cell, r, k] * zr


@njit(nogil=True, cache=False)
def _maximize(
    coef: Array,
    lower: float,
    upper: float,
    dense_x: Array,
    dense_vt: Array,
    d12: Array,
    work: Array,
    terms: Array,
) -> tuple[float, float]:  # pragma: no cover - compiled
    """:func:`._basis.maximize_local` for one voxel: ``x`` and ``p(x)``; ``terms`` at ``x``."""
    points = dense_x.size
    values = work[:points]
    for m in range(points):
        v = 0.0
        for k in range(_D):
            v += coef[k] * dense_vt[k, m]
        values[m] = v
    if lower > -1.0 or upper < 1.0:
        for m in range(points):
            if dense_x[m] < lower - 1e-12 or dense_x[m] > upper + 1e-12:
                values[m] = -np.inf
    best = _argmax(values)
    spacing = dense_x[1] - dense_x[0]
    value = values[best]
    left = values[max(best - 1, 0)]
    right = values[min(best + 1, points - 1)]
    denom = left - 2.0 * value + right
    shift = 0.0
    if best > 0 and best < points - 1 and denom < 0 and np.isfinite(denom):
        shift = 0.5 * (left - right) / denom
    x = _clip(dense_x[best] + _clip(shift, -0.5, 0.5) * spacing, lower, upper)
    _terms(x, terms)
    p0 = _dot(coef, terms)
    p1 = 0.0
    p2 = 0.0
    for k in range(_D):
        d1 = 0.0
        d2 = 0.0
        for m in range(_D):
            d1 += d12[k, m] * coef[m]
            d2 += d12[_D + k, m] * coef[m]
        p1 += d1 * terms[k]
        p2 += d2 * terms[k]
    step = -p1 / p2 if p2 < 0 else 0.0
    trial = _clip(x + _clip(step, -spacing, spacing), lower, upper)
    trial_terms = work[points : points + _D]
    _terms(trial, trial_terms)
    p_trial = _dot(coef, trial_terms)
    if p_trial < p0:  # rare: keep the parabola's point
        return x, p0
    terms[:] = trial_terms
    return trial, p_trial


@njit(nogil=True, cache=False, inline="always")
def _ends(cell: int, last: int) -> tuple[float, float]:  # pragma: no cover - compiled
    return (0.0 if cell == 0 else -1.0), (0.0 if cell == last else 1.0)


@njit(nogil=True, cache=False)
def _face_rss(
    q: float, g01: float, g11: float, kep: float, p0: float, yy: float, g00: float, ve_max: float
) -> float:  # pragma: no cover - compiled
    """RSS on the face ``Ktrans = ve_max·kep`` with ``vp`` optimal and ≥ 0 (``_face_rss``)."""
    kt = ve_max * kep
    rss = yy - 2.0 * kt * q + kt * kt * g11
    rest = p0 - kt * g01
    if rest < 0.0:
        rest = 0.0
    return rss - rest * rest / g00


@njit(nogil=True, cache=False)
def _ve_face_rss_at(
    x: float,
    lower: float,
    upper: float,
    coef: Array,
    g01_c: Array,
    g11_c: Array,
    node_u: float,
    step: float,
    p0: float,
    yy: float,
    g00: float,
    ve_max: float,
    terms: Array,
) -> float:  # pragma: no cover - compiled
    _terms(x, terms)
    q = _dot(coef, terms)
    g01 = _dot(g01_c, terms)
    g11 = _dot(g11_c, terms)
    rss = _face_rss(q, g01, g11, np.exp(node_u + step * x), p0, yy, g00, ve_max)
    if x < lower - 1e-12 or x > upper + 1e-12:
        return np.inf
    return rss


@njit(nogil=True, cache=True)
def fit_voxels(
    proj: npt.NDArray[np.floating],
    s_grid: npt.NDArray[np.floating],
    yy: Array,
    shared: tuple[Array, Array, Array, Array, Array, Array, Array],
    node_tables: tuple[Array, Array, Array, Array, Array, Array, Array, Array],
    cheb_tables: tuple[Array, Array, Array, Array, Array, Array, Array],
    search: tuple[Array, Array, Array, Array, Array],
    scalars: tuple[float, float, float],
    flag_bits: tuple[int, int, int],
    out: tuple[Array, Array, Array, Array, Array, npt.NDArray[np.uint8]],
) -> None:  # pragma: no cover - compiled; tested against the reference
    """Exact extended Tofts fit of the ``n`` voxels of one chunk.

    ``proj`` is ``(r + 1, n)`` (``[U, 1]ᵀ y``), ``s_grid`` ``(n, K)`` (``y·e`` at the nodes),
    ``yy`` ``(n,)`` (:func:`sum_squares`). ``shared``: ``cp_r``, node ``u``, ``e`` unit
    vectors ``(K, r)``, ``f`` unit vectors ``(r, K)``, ``B`` ``(r, K)``, ``exp(u)``, and the
    first and last node ``u``; ``node_tables``:
    ``ne``, ``nb``, ``g01``, ``g11`` at the nodes, the vp-slope, the ``ne`` used by the masks,
    and the ve limits of the f and e grids; ``cheb_tables``: the ``(K, r, D+1)`` tables of e,
    f, B and the ``(K, D+1)`` tables of ne, nb, g01, g11; ``search``: the dense points, their
    Chebyshev terms, the derivative matrices, and the coarse and fine offsets of the ve face;
    ``scalars``: ``g00``, ``ve_max`` and the grid step; ``flag_bits``:
    NO_UPTAKE, VE_AT_BOUND, KEP_AT_BOUND. ``out``: Ktrans, ve, vp, kep, RSS and flags,
    every element written.
    """
    cp_r, nodes, e_nodes, f_nodes_t, b_nodes_t, kep_nodes, log_kep_nodes = shared
    ne_nodes, nb_nodes, g01_nodes, g11_nodes, slope, _ne_mask, f_limit, e_limit = node_tables
    e_table, f_table, b_table, ne_table, nb_table, g01_table, g11_table = cheb_tables
    dense_x, dense_vt, d12, coarse_x, fine_dx = search
    g00, ve_max, step = scalars
    no_uptake_bit, ve_bound_bit, kep_bound_bit = flag_bits
    ktrans_out, ve_out, vp_out, kep_out, rss_out, flags_out = out
    rank = proj.shape[0] - 1
    n = proj.shape[1]
    size = nodes.size
    last = size - 1
    z = np.empty(rank)
    grid = np.empty(size)
    coef = np.empty(_D)
    terms = np.empty(_D)
    work = np.empty(64)
    rss_coarse = np.empty(_COARSE)
    xs = np.empty(_FINE)
    vals = np.empty(_FINE)
    for i in range(n):
        for r in range(rank):
            z[r] = proj[r, i]
        y2 = yy[i]
        p0 = _dot(z, cp_r)
        base = y2 - p0 * p0 / g00
        threshold = _ZERO * np.sqrt(y2)
        row = s_grid[i]

        # The unconstrained optimum (vp free), as _interior(feasible_only=False).
        kt = np.nan
        ve = np.nan
        vp = np.nan
        kep = np.nan
        rss = np.nan
        flag = 0
        cell = _argmax(row)
        if row[cell] > threshold:
            lower, upper = _ends(cell, last)
            _coefficients(e_table, cell, z, coef)
            x, best = _maximize(coef, lower, upper, dense_x, dense_vt, d12, work, terms)
            ne_u = _dot(ne_table[cell], terms)
            g01 = _dot(g01_table[cell], terms)
            u = nodes[cell] + step * x
            kt = best / ne_u
            vp = (p0 - kt * g01) / g00
            kep = np.exp(u)
            ve = kt / kep
            rss = base - best * best
        hard = not np.isfinite(rss) or vp < 0 or ve > ve_max
        if hard:
            # The ve face (candidate 4) is searched only where the limit ve <= ve_max binds:
            # the unconstrained optimum exceeds it, or it changed what candidate 2 or 3 found
            # (another cell than without it, or the fall-back to a node). Elsewhere the best
            # of candidates 1-3 also solves the problem without that limit, and no point of
            # the face, which lies inside that problem's domain, can do better.
            ve_binds = ve > ve_max
            # Candidate 1: no uptake (Ktrans = 0, vp ≥ 0).
            p0c = p0 if not p0 < 0.0 else 0.0
            kt = 0.0
            vp = p0c / g00
            ve = np.nan
            kep = np.nan
            rss = y2 - p0c * p0c / g00
            flag = no_uptake_bit

            # Candidate 2: the face vp = 0 with ve ≤ ve_max (_vp_zero_face).
            for c in range(size):
                grid[c] = 0.0
            for r in range(rank):
                zr = np.float64(z[r])
                for c in range(size):
                    grid[c] += zr * f_nodes_t[r, c]
            free_cell = _argmax(grid)
            for c in range(size):
                if grid[c] > f_limit[c]:
                    grid[c] = -np.inf
            cell = _argmax(grid)
            if cell != free_cell:
                ve_binds = True
            c_kt = 0.0
            c_vp = 0.0
            c_ve = np.nan
            c_kep = np.nan
            c_rss = y2
            c_flag = no_uptake_bit
            if grid[cell] > threshold:
                lower, upper = _ends(cell, last)
                _coefficients(f_table, cell, z, coef)
                x, best = _maximize(coef, lower, upper, dense_x, dense_vt, d12, work, terms)
                nb = _dot(nb_table[cell], terms)
                u = nodes[cell] + step * x
                c_kt = best / nb
                if c_kt > ve_max * np.exp(u):  # fall back to the feasible node
                    ve_binds = True
                    f_node = 0.0
                    for r in range(rank):
                        f_node += z[r] * f_nodes_t[r, cell]
                    u = nodes[cell]
                    best = f_node
                    c_kt = f_node / nb_nodes[cell]
                c_kep = np.exp(u)
                c_ve = c_kt / c_kep
                c_rss = y2 - best * best
                c_flag = 0
            if np.isfinite(c_rss) and not rss <= c_rss:
                kt, vp, ve, kep, rss, flag = c_kt, c_vp, c_ve, c_kep, c_rss, c_flag

            # Candidate 3: the feasible interior (vp ≥ 0, ve ≤ ve_max at the nodes).
            free_best = -np.inf
            for c in range(size):
                s = np.float64(row[c])
                if s * slope[c] > p0:
                    grid[c] = -np.inf
                    continue
                if s > free_best:
                    free_best = s
                if s > e_limit[c]:
                    grid[c] = -np.inf
                else:
                    grid[c] = row[c]
            cell = _argmax(grid)
            if grid[cell] < free_best:
                ve_binds = True
            if grid[cell] > threshold:
                lower, upper = _ends(cell, last)
                _coefficients(e_table, cell, z, coef)
                x, best = _maximize(coef, lower, upper, dense_x, dense_vt, d12, work, terms)
                ne_u = _dot(ne_table[cell], terms)
                g01 = _dot(g01_table[cell], terms)
                u = nodes[cell] + step * x
                c_kt = best / ne_u
                c_vp = (p0 - c_kt * g01) / g00
                if c_kt > ve_max * np.exp(u):
                    ve_binds = True
                if c_vp < 0 or c_kt > ve_max * np.exp(u):  # fall back to the feasible node
                    s_node = _dot(z, e_nodes[cell])
                    c_kt = s_node / ne_nodes[cell]
                    u = nodes[cell]
                    best = s_node
                    c_vp = (p0 - c_kt * g01_nodes[cell]) / g00
                c_kep = np.exp(u)
                c_ve = c_kt / c_kep
                c_rss = base - best * best
                if np.isfinite(c_rss) and not rss <= c_rss:
                    kt, vp, ve, kep, rss, flag = c_kt, c_vp, c_ve, c_kep, c_rss, 0

            # Candidate 4: the face ve = ve_max (_ve_face), vp ≥ 0.
            if ve_binds:
                for c in range(size):
                    grid[c] = 0.0
                for r in range(rank):
                    zr = z[r]
                    for c in range(size):
                        grid[c] += zr * b_nodes_t[r, c]
                for c in range(size):
                    grid[c] = _face_rss(
                        grid[c], g01_nodes[c], g11_nodes[c], kep_nodes[c], p0, y2, g00, ve_max
                    )
                cell = _argmin(grid)
                _coefficients(b_table, cell, z, coef)
                lower, upper = _ends(cell, last)
                g01_c = g01_table[cell]
                g11_c = g11_table[cell]
                node_u = nodes[cell]
                for m in range(_COARSE):
                    rss_coarse[m] = _ve_face_rss_at(
                        coarse_x[m], lower, upper, coef, g01_c, g11_c, node_u, step, p0, y2, g00,
                        ve_max, terms,
                    )  # fmt: skip
                centre = coarse_x[_argmin(rss_coarse)]
                for m in range(_FINE):
                    xs[m] = _clip(centre + fine_dx[m], lower, upper)
                    vals[m] = _ve_face_rss_at(
                        xs[m], lower, upper, coef, g01_c, g11_c, node_u, step, p0, y2, g00, ve_max,
                        terms,
                    )  # fmt: skip
                best_m = _argmin(vals)
                value = vals[best_m]
                left = vals[max(best_m - 1, 0)]
                right = vals[min(best_m + 1, _FINE - 1)]
                denom = left - 2.0 * value + right
                spacing = (fine_dx[_FINE - 1] - fine_dx[0]) / (_FINE - 1)
                shift = 0.0
                if best_m > 0 and best_m < _FINE - 1 and denom > 0 and np.isfinite(denom):
                    shift = 0.5 * (left - right) / denom
                x_best = xs[best_m]
                x_par = _clip(x_best + _clip(shift, -0.5, 0.5) * spacing, lower, upper)
                rss_par = _ve_face_rss_at(
                    x_par, lower, upper, coef, g01_c, g11_c, node_u, step, p0, y2, g00, ve_max,
                    terms,
                )  # fmt: skip
                if rss_par <= value:
                    x_final = x_par
                    c_rss = rss_par
                else:
                    x_final = x_best
                    c_rss = value
                _terms(x_final, terms)
                g01_f = _dot(g01_c, terms)
                c_kep = np.exp(node_u + step * x_final)
                c_kt = ve_max * c_kep
                rest = p0 - c_kt * g01_f
                c_vp = (rest if not rest < 0.0 else 0.0) / g00
                if np.isfinite(c_rss) and not rss <= c_rss:
                    kt, vp, ve, kep, rss, flag = c_kt, c_vp, ve_max, c_kep, c_rss, ve_bound_bit

        # _finish: clip round-off, flag kep at the ends of the search range.
        if rss < 0.0:
            rss = 0.0
        if np.isfinite(kep):
            lk = np.log(kep) if kep > 0 else 0.0
            if abs(lk - log_kep_nodes[0]) < 1e-9 or abs(lk - log_kep_nodes[1]) < 1e-9:
                flag |= kep_bound_bit
        ktrans_out[i] = kt
        ve_out[i] = ve
        vp_out[i] = vp
        kep_out[i] = kep
        rss_out[i] = rss
        flags_out[i] = flag


@njit(nogil=True, cache=True, fastmath={"contract", "reassoc"})
def sum_squares(
    data: npt.NDArray[np.floating],
    voxel_major: bool,
    start: int,
    stop: int,
    yy: Array,
    sstot: Array,
) -> None:  # pragma: no cover - compiled; tested through the fits
    """``y·y`` and ``Σ (y − ȳ)²`` in float64 for voxels ``start:stop`` of a C-contiguous
    array, voxel-major ``(N, T)`` or time-major ``(T, N)``.

    The total sum of squares is accumulated about the first sample (``d = y − y₀``,
    ``Σd² − (Σd)²/T``), so a constant curve gives exactly 0.
    """
    n = stop - start
    if voxel_major:
        frames = data.shape[1]
        for i in range(n):
            v = np.uint64(start + i)
            y0 = np.float64(data[v, 0])
            s2 = 0.0
            s1 = 0.0
            d2 = 0.0
            for t in range(frames):
                y = np.float64(data[v, np.uint64(t)])
                d = y - y0
                s2 += y * y
                s1 += d
                d2 += d * d
            yy[i] = s2
            sstot[i] = max(d2 - s1 * s1 / frames, 0.0)
        return
    frames = data.shape[0]
    first = np.empty(n)
    sums = np.zeros(n)
    for j in range(n):
        first[j] = np.float64(data[0, np.uint64(start + j)])
        yy[j] = 0.0
        sstot[j] = 0.0
    # Four frames at a time, so that each voxel's sums are loaded and stored once per four.
    head = frames - frames % 4
    for t in range(0, head, 4):
        r0, r1, r2, r3 = np.uint64(t), np.uint64(t + 1), np.uint64(t + 2), np.uint64(t + 3)
        for j in range(n):
            v = np.uint64(start + j)
            y0 = np.float64(data[r0, v])
            y1 = np.float64(data[r1, v])
            y2 = np.float64(data[r2, v])
            y3 = np.float64(data[r3, v])
            f = first[j]
            d0 = y0 - f
            d1 = y1 - f
            d2 = y2 - f
            d3 = y3 - f
            yy[j] += (y0 * y0 + y1 * y1) + (y2 * y2 + y3 * y3)
            sums[j] += (d0 + d1) + (d2 + d3)
            sstot[j] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3)
    for t in range(head, frames):
        for j in range(n):
            y = np.float64(data[np.uint64(t), np.uint64(start + j)])
            d = y - first[j]
            yy[j] += y * y
            sums[j] += d
            sstot[j] += d * d
    for j in range(n):
        sstot[j] = max(sstot[j] - sums[j] * sums[j] / frames, 0.0)
