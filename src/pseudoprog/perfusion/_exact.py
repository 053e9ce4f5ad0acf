"""Exact least-squares fits of the Tofts and extended Tofts models (internal).

For a fixed kep the models are linear in ``(Ktrans, vp)``, so the residual sum of squares can
be minimised over them in closed form and only kep remains (a "variable projection"). With
``e(u)`` the unit vector of the convolution basis orthogonalised against ``cp`` and ``f(u)`` the
unit vector of the basis itself (``u = ln kep``):

* extended Tofts with ``vp`` free: ``RSS(u) = y·y − (y·cp)²/(cp·cp) − (y·e(u))²`` for
  ``y·e(u) > 0``;
* Tofts, or extended Tofts on the face ``vp = 0``: ``RSS(u) = y·y − (y·f(u))²`` for ``y·f(u) > 0``;
* ``Ktrans = 0``: ``RSS = y·y − max(y·cp, 0)²/(cp·cp)``.

The non-negative least-squares optimum is the best of these candidates that is feasible. The
search evaluates ``y·e`` and ``y·f`` on the kep grid with one matrix product, then maximises the
Chebyshev interpolant around the best node (see :mod:`._basis`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pseudoprog.perfusion._basis import (
    ConvolutionBasis,
    chebyshev_terms,
    evaluate,
    maximize_local,
    pick,
    sorted_coefficients,
    unsort,
)
from pseudoprog.perfusion._chunk import ChunkResult, Projections
from pseudoprog.perfusion.result import FitFlag

#: A projection below this fraction of ``|y|`` is round-off: no uptake (Ktrans = 0).
_ZERO = 1e-9

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


def project(basis: ConvolutionBasis, yt: npt.NDArray[np.floating]) -> Projections:
    """Project a chunk of curves ``yt`` (shape ``(T, n)``, time first) on the basis."""
    proj = basis.projector_for(yt.dtype) @ yt
    proj64 = np.ascontiguousarray(proj.T, dtype=np.float64)  # (n, r + 1)
    z = proj64[:, :-1]
    total = proj64[:, -1]
    yy = np.asarray(np.einsum("tn,tn->n", yt, yt), dtype=np.float64)
    p0 = z @ basis.cp_r
    sstot = np.maximum(yy - total * total / basis.frames, 0.0)
    z_grid = z if yt.dtype == np.float64 else np.asarray(proj.T[:, :-1])
    return Projections(z=z, yy=yy, p0=p0, sstot=sstot, z_grid=z_grid)


def _range_ends(basis: ConvolutionBasis, cell: IntArray) -> tuple[FloatArray, FloatArray]:
    last = basis.grid.size - 1
    lower = np.where(cell == 0, 0.0, -1.0)
    upper = np.where(cell == last, 0.0, 1.0)
    return lower, upper


def _refine(
    basis: ConvolutionBasis,
    table: FloatArray,
    shared: tuple[FloatArray, ...],
    z: FloatArray,
    cell: IntArray,
) -> tuple[FloatArray, FloatArray, tuple[FloatArray, ...]]:
    """Maximise ``y·g(u)`` near ``cell`` for the unit-vector family ``g`` of ``table``.

    Returns ``u`` and the maximum, and the shared functions of the ``(K, D+1)`` tables in
    ``shared`` evaluated at the optimum, all in the order of the input voxels.
    """
    coef, order = sorted_coefficients(table, z, cell)
    cell_sorted = np.take(cell, order)
    lower, upper = _range_ends(basis, cell_sorted)
    x, best, terms = maximize_local(coef, lower, upper)
    values = [evaluate(np.take(t.T, cell_sorted, axis=1), terms) for t in shared]
    u = np.take(basis.grid.nodes, cell_sorted) + basis.grid.step * x
    stacked = unsort(np.stack([u, best, *values], axis=1), order)
    return stacked[:, 0], stacked[:, 1], tuple(stacked[:, 2 + k] for k in range(len(shared)))


def _vp_zero_face(
    basis: ConvolutionBasis, pr: Projections, cols: IntArray, ve_max: float | None
) -> ChunkResult:
    """Best fit with ``vp = 0`` (the Tofts model) for the voxels ``cols``.

    With ``ve_max`` only points with ``ve ≤ ve_max`` are considered (nodes that break it are
    skipped and a refined optimum that breaks it falls back to its node).
    """
    n = cols.size
    out = ChunkResult.empty(n)
    everything = n == pr.yy.size
    z = pr.z if everything else np.take(pr.z, cols, axis=0)
    yy = pr.yy if everything else pr.yy[cols]
    z_grid = pr.z_grid if everything else np.take(pr.z_grid, cols, axis=0)
    f_grid = z_grid @ basis.nodes_for(z_grid.dtype)[1].T
    if ve_max is not None:  # Ktrans = F/|B| ≤ ve_max·kep at the node
        limit = ve_max * np.exp(basis.grid.nodes) * basis.nb_nodes
        f_grid[f_grid > limit[None, :]] = -np.inf
    cell = np.argmax(f_grid, axis=1)
    fmax = pick(f_grid, cell)
    uptake = fmax > _ZERO * np.sqrt(yy)
    out.vp[:] = 0.0
    out.ktrans[:] = 0.0
    out.rss[:] = yy
    out.flags[:] = FitFlag.NO_UPTAKE
    idx = np.flatnonzero(uptake)
    if idx.size:
        z_idx = np.take(z, idx, axis=0)
        c = cell[idx]
        u, best, (nb,) = _refine(basis, basis.f_table, (basis.nb_table,), z_idx, c)
        kt = best / nb
        if ve_max is not None:
            bad = kt > ve_max * np.exp(u)
            if np.any(bad):  # fall back to the feasible node
                rows = np.take(z_idx, np.flatnonzero(bad), axis=0)
                f_node = np.einsum("nr,nr->n", rows, np.take(basis.f_nodes_r, c[bad], axis=0))
                u[bad] = basis.grid.nodes[c[bad]]
                best[bad] = f_node
                kt[bad] = f_node / basis.nb_nodes[c[bad]]
        kep = np.exp(u)
        out.kep[idx] = kep
        out.ktrans[idx] = kt
        out.ve[idx] = kt / kep
        out.rss[idx] = yy[idx] - best * best
        out.flags[idx] = FitFlag.NONE
    return out


def _no_uptake(basis: ConvolutionBasis, pr: Projections, cols: IntArray) -> ChunkResult:
    """Best fit with ``Ktrans = 0`` and ``vp ≥ 0`` for the voxels ``cols``."""
    out = ChunkResult.empty(cols.size)
    p0 = np.maximum(pr.p0[cols], 0.0)
    out.ktrans[:] = 0.0
    out.vp[:] = p0 / basis.g00
    out.rss[:] = pr.yy[cols] - p0 * p0 / basis.g00
    out.flags[:] = FitFlag.NO_UPTAKE
    return out


def _interior(
    basis: ConvolutionBasis,
    pr: Projections,
    cols: IntArray,
    *,
    feasible_only: bool,
    ve_max: float = np.inf,
) -> ChunkResult:
    """Best fit with ``vp`` free and ``Ktrans > 0``; NaN RSS where none is feasible.

    With ``feasible_only`` the grid search only considers nodes with ``vp ≥ 0`` and
    ``ve ≤ ve_max``, and a refined optimum outside that set falls back to its node.
    """
    n = cols.size
    out = ChunkResult.empty(n)
    everything = cols.size == pr.yy.size
    z = pr.z if everything else np.take(pr.z, cols, axis=0)
    p0 = pr.p0 if everything else pr.p0[cols]
    yy = pr.yy if everything else pr.yy[cols]
    base = yy - p0 * p0 / basis.g00
    z_grid = pr.z_grid if everything else np.take(pr.z_grid, cols, axis=0)
    s_grid = z_grid @ basis.nodes_for(z_grid.dtype)[0].T  # (n, K), in the data's precision
    if feasible_only:
        ne = np.where(basis.ne_nodes > 0, basis.ne_nodes, 1.0)
        slope = basis.g01_nodes / ne
        infeasible = s_grid * slope[None, :] > p0[:, None]  # vp < 0 at the node
        infeasible |= s_grid > (ve_max * np.exp(basis.grid.nodes) * ne)[None, :]  # ve > max
        s_grid[infeasible] = -np.inf
    cell = np.argmax(s_grid, axis=1)
    smax = pick(s_grid, cell)
    idx = np.flatnonzero(smax > _ZERO * np.sqrt(yy))
    if idx.size == 0:
        return out
    c = cell[idx]
    z_idx = np.take(z, idx, axis=0)
    u, best, (ne_u, g01) = _refine(
        basis, basis.e_table, (basis.ne_table, basis.g01_table), z_idx, c
    )
    kt = best / ne_u
    vp = (p0[idx] - kt * g01) / basis.g00
    if feasible_only:
        bad = (vp < 0) | (kt > ve_max * np.exp(u))
        if np.any(bad):  # fall back to the feasible node
            rows = np.take(z_idx, np.flatnonzero(bad), axis=0)
            s_node = np.einsum("nr,nr->n", rows, np.take(basis.e_nodes_r, c[bad], axis=0))
            kt_node = s_node / basis.ne_nodes[c[bad]]
            u[bad] = basis.grid.nodes[c[bad]]
            best[bad] = s_node
            kt[bad] = kt_node
            vp[bad] = (p0[idx][bad] - kt_node * basis.g01_nodes[c[bad]]) / basis.g00
    kep = np.exp(u)
    out.kep[idx] = kep
    out.ktrans[idx] = kt
    out.vp[idx] = vp
    out.ve[idx] = kt / kep
    out.rss[idx] = base[idx] - best * best
    out.flags[idx] = FitFlag.NONE
    return out


def _face_rss(
    q: FloatArray,
    g01: FloatArray,
    g11: FloatArray,
    kep: FloatArray,
    p0: FloatArray,
    yy: FloatArray,
    g00: float,
    ve_max: float,
    with_vp: bool,
) -> FloatArray:
    """RSS on the face ``Ktrans = ve_max·kep`` (broadcasting), ``vp`` optimal and ≥ 0."""
    kt = ve_max * kep
    rss = yy - 2.0 * kt * q + kt * kt * g11
    if with_vp:
        rest = np.maximum(p0 - kt * g01, 0.0)
        rss = rss - rest * rest / g00
    return np.asarray(rss, dtype=np.float64)


def _ve_face(
    basis: ConvolutionBasis, pr: Projections, cols: IntArray, ve_max: float, *, with_vp: bool
) -> ChunkResult:
    """Best fit with ``ve = ve_max`` (``Ktrans = ve_max·kep``) and ``vp ≥ 0`` (or 0).

    The residual is no longer a projection, so it is minimised directly: over the kep nodes,
    then on a dense and a fine grid inside the best node's cell from the Chebyshev
    interpolant of ``y·B(u)``, then by a parabola through the three best fine points (error
    in ``u`` about 1e-7, so about 1e-13 relative in the residual).
    """
    n = cols.size
    out = ChunkResult.empty(n)
    if n == 0:
        return out
    z = np.take(pr.z, cols, axis=0)
    yy = pr.yy[cols]
    p0 = pr.p0[cols]
    g00 = basis.g00
    kep_nodes = np.exp(basis.grid.nodes)
    q_nodes = z @ basis.b_nodes_r.T
    rss_nodes = _face_rss(
        q_nodes, basis.g01_nodes, basis.g11_nodes, kep_nodes, p0[:, None], yy[:, None],
        g00, ve_max, with_vp,
    )  # fmt: skip
    cell = np.argmin(rss_nodes, axis=1)
    coef, order = sorted_coefficients(basis.b_table, z, cell)
    cs = np.take(cell, order)
    p0s = np.take(p0, order)[:, None]
    yys = np.take(yy, order)[:, None]
    lower, upper = _range_ends(basis, cs)
    g01_c = np.take(basis.g01_table, cs, axis=0)  # (n, D+1)
    g11_c = np.take(basis.g11_table, cs, axis=0)
    node_u = np.take(basis.grid.nodes, cs)[:, None]
    step = basis.grid.step

    def rss_at(x: FloatArray) -> FloatArray:  # x: (n, m)
        terms = chebyshev_terms(x)  # (D+1, n, m)
        q = np.einsum("kn,knm->nm", coef, terms)
        g01 = np.einsum("nk,knm->nm", g01_c, terms)
        g11 = np.einsum("nk,knm->nm", g11_c, terms)
        rss = _face_rss(q, g01, g11, np.exp(node_u + step * x), p0s, yys, g00, ve_max, with_vp)
        outside = (x < lower[:, None] - 1e-12) | (x > upper[:, None] + 1e-12)
        return np.where(outside, np.inf, rss)

    coarse = np.ascontiguousarray(np.broadcast_to(np.linspace(-1.0, 1.0, 33), (n, 33)))
    centre = pick(coarse, np.argmin(rss_at(coarse), axis=1))
    width = 1.0 / 16.0  # the coarse spacing; the fine grid has spacing width/8
    x = np.clip(centre[:, None] + np.linspace(-width, width, 17)[None, :], lower[:, None],
                upper[:, None])  # fmt: skip
    values = rss_at(x)
    best = np.argmin(values, axis=1)
    value = pick(values, best)
    left = pick(values, np.maximum(best - 1, 0))
    right = pick(values, np.minimum(best + 1, 16))
    denom = left - 2.0 * value + right
    spacing = width / 8.0
    ok = (best > 0) & (best < 16) & (denom > 0) & np.isfinite(denom)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(ok, 0.5 * (left - right) / np.where(ok, denom, 1.0), 0.0)
    x_best = pick(x, best)
    x_par = np.clip(x_best + np.clip(shift, -0.5, 0.5) * spacing, lower, upper)
    rss_par = rss_at(x_par[:, None])[:, 0]
    take_par = rss_par <= value
    x_final = np.where(take_par, x_par, x_best)
    rss_final = np.where(take_par, rss_par, value)
    terms = chebyshev_terms(x_final)
    g01_f = np.einsum("nk,kn->n", g01_c, terms)
    u = node_u[:, 0] + step * x_final
    kep = np.exp(u)
    kt = ve_max * kep
    vp = np.maximum(p0s[:, 0] - kt * g01_f, 0.0) / g00 if with_vp else np.zeros(n)
    stacked = unsort(np.stack([kep, kt, vp, rss_final], axis=1), order)
    out.kep[:] = stacked[:, 0]
    out.ktrans[:] = stacked[:, 1]
    out.vp[:] = stacked[:, 2]
    out.ve[:] = ve_max
    out.rss[:] = stacked[:, 3]
    out.flags[:] = FitFlag.VE_AT_BOUND
    return out


def _best_of(candidates: list[ChunkResult]) -> ChunkResult:
    best = candidates[0]
    for other in candidates[1:]:
        better = np.isfinite(other.rss) & ~(best.rss <= other.rss)
        best.take(other, better)
    return best


def _merge(out: ChunkResult, cols: IntArray, sub: ChunkResult) -> None:
    for name in ("ktrans", "ve", "vp", "kep", "rss", "flags"):
        getattr(out, name)[cols] = getattr(sub, name)


def fit_tofts_exact(basis: ConvolutionBasis, pr: Projections, *, ve_max: float) -> ChunkResult:
    """Least-squares Tofts fit of every voxel with ``Ktrans ≥ 0`` and ``ve ≤ ve_max``."""
    cols = np.arange(pr.yy.size)
    out = _vp_zero_face(basis, pr, cols, None)
    hard = np.flatnonzero(out.ve > ve_max)
    if hard.size:
        sub = _best_of(
            [
                _vp_zero_face(basis, pr, hard, ve_max),
                _ve_face(basis, pr, hard, ve_max, with_vp=False),
            ]
        )
        _merge(out, hard, sub)
    out.vp[:] = np.nan
    out.sstot[:] = pr.sstot
    return _finish(basis, out)


def fit_extended_tofts_exact(
    basis: ConvolutionBasis, pr: Projections, *, ve_max: float
) -> ChunkResult:
    """Least-squares extended Tofts fit with ``Ktrans ≥ 0``, ``vp ≥ 0`` and ``ve ≤ ve_max``.

    The unconstrained (vp free) optimum is found first; voxels where it breaks a constraint
    take the best of the feasible candidates: ``Ktrans = 0``, the face ``vp = 0``, the
    feasible interior, and the face ``ve = ve_max``.
    """
    n = pr.yy.size
    cols = np.arange(n)
    out = _interior(basis, pr, cols, feasible_only=False)
    hard = np.flatnonzero(~np.isfinite(out.rss) | (out.vp < 0) | (out.ve > ve_max))
    if hard.size:
        sub = _best_of(
            [
                _no_uptake(basis, pr, hard),
                _vp_zero_face(basis, pr, hard, ve_max),
                _interior(basis, pr, hard, feasible_only=True, ve_max=ve_max),
                _ve_face(basis, pr, hard, ve_max, with_vp=True),
            ]
        )
        _merge(out, hard, sub)
    out.sstot[:] = pr.sstot
    return _finish(basis, out)


def _finish(basis: ConvolutionBasis, out: ChunkResult) -> ChunkResult:
    """Clip round-off, flag kep at the ends of the search range."""
    np.maximum(out.rss, 0.0, out=out.rss)
    u = np.log(np.where(np.isfinite(out.kep) & (out.kep > 0), out.kep, 1.0))
    nodes = basis.grid.nodes
    at_end = np.isfinite(out.kep) & ((np.abs(u - nodes[0]) < 1e-9) | (np.abs(u - nodes[-1]) < 1e-9))
    out.flags[at_end] |= np.uint8(FitFlag.KEP_AT_BOUND)
    return out
