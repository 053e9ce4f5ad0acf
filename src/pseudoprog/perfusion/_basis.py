"""Shared convolution bases for fast voxel-wise fitting (internal).

All voxels of a fit share one arterial input function, so the convolutions ``Cp ⊗ exp(−kep·t)``
for a grid of kep values are computed once. The tissue curves are first projected onto an
orthonormal basis ``U`` of every curve the model can produce (computed by SVD and truncated
far below double-precision noise), so that all later work is on ``r ≈ 30`` numbers per voxel
instead of ``T`` samples, and these projections are exact: a model curve lies in ``span(U)``,
hence ``y · m = (Uᵀy) · (Uᵀm)`` for any model curve ``m``.

Between grid nodes the projections of a voxel are smooth functions of ``u = ln kep``. Around
each node ``j`` they are represented by a Chebyshev interpolant of degree ``DEGREE`` in
``x = (u − u_j)/h`` on ``[−1, 1]`` (that is, between the two neighbouring nodes). The
interpolant is accurate to about 1e-12 relative, so maximising it gives the least-squares
optimum in kep to far better than any tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.polynomial import chebyshev as cheb

from pseudoprog.perfusion.models import exp_convolve

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Degree of the Chebyshev interpolants between grid nodes.
DEGREE = 10
#: Points of the dense evaluation of an interpolant before the Newton polish.
DENSE_POINTS = 17
#: Relative singular value below which basis directions are dropped.
_RANK_TOLERANCE = 1e-13


@dataclass(frozen=True, slots=True)
class KepGrid:
    """Nodes ``u_j = ln kep_j`` equally spaced between ``ln kep_min`` and ``ln kep_max``."""

    kep_min: float
    kep_max: float
    size: int

    @property
    def nodes(self) -> FloatArray:
        """``ln kep`` at the nodes."""
        return np.linspace(np.log(self.kep_min), np.log(self.kep_max), self.size)

    @property
    def step(self) -> float:
        """Spacing ``h`` of the nodes in ``ln kep``."""
        return float((np.log(self.kep_max) - np.log(self.kep_min)) / (self.size - 1))


def _chebyshev_nodes() -> FloatArray:
    m = np.arange(DEGREE + 1)
    return np.asarray(np.cos(np.pi * (m + 0.5) / (DEGREE + 1)), dtype=np.float64)


def _interpolation_matrix() -> FloatArray:
    """Matrix taking values at the Chebyshev nodes to Chebyshev coefficients."""
    vander = cheb.chebvander(_chebyshev_nodes(), DEGREE)
    return np.asarray(np.linalg.inv(vander), dtype=np.float64)


def _derivative_matrix(order: int) -> FloatArray:
    """Matrix taking Chebyshev coefficients to those of the ``order``-th derivative."""
    eye = np.eye(DEGREE + 1)
    cols = [np.pad(cheb.chebder(eye[:, n], order), (0, order)) for n in range(DEGREE + 1)]
    return np.asarray(np.stack(cols, axis=1), dtype=np.float64)


class ConvolutionBasis:
    """Everything about one AIF and one kep grid that all voxels share.

    Parameters
    ----------
    t_s
        Frame times in seconds, shape ``(T,)``.
    cp
        Plasma concentration at ``t_s`` (already delayed if needed), shape ``(T,)``.
    grid
        The kep grid.
    """

    def __init__(self, t_s: FloatArray, cp: FloatArray, grid: KepGrid) -> None:
        self.t_s = t_s
        self.cp = cp
        self.grid = grid
        self.frames = t_s.size
        self.g00 = float(cp @ cp)
        nodes = grid.nodes
        x = _chebyshev_nodes()
        u_cheb = nodes[:, None] + grid.step * x[None, :]  # (K, D+1)
        conv_nodes = exp_convolve(t_s, cp, np.exp(nodes))  # (K, T)
        conv_cheb = exp_convolve(t_s, cp, np.exp(u_cheb))  # (K, D+1, T)

        # Orthonormal basis of every curve used below.
        stack = np.concatenate([cp[None, :], conv_nodes, conv_cheb.reshape(-1, t_s.size)])
        self.U: FloatArray = _orthonormal_span(stack)  # (T, r)
        self.rank = self.U.shape[1]
        #: Rows: U columns, then a row of ones (for the mean of each curve).
        self.projector: FloatArray = np.ascontiguousarray(
            np.vstack([self.U.T, np.ones((1, t_s.size))])
        )
        self.cp_r: FloatArray = self.U.T @ cp

        # Node quantities.
        self.b_nodes_r: FloatArray = conv_nodes @ self.U  # (K, r)
        g01 = conv_nodes @ cp
        g11 = np.einsum("kt,kt->k", conv_nodes, conv_nodes)
        self.g01_nodes = g01
        self.g11_nodes = g11
        self.nb_nodes = np.sqrt(g11)
        self.ne_nodes = np.sqrt(np.maximum(g11 - g01 * g01 / self.g00, 0.0))
        #: Relaxed problem (vp free): unit vectors of B orthogonalised against cp.
        self.e_nodes_r = (self.b_nodes_r - np.outer(g01 / self.g00, self.cp_r)) / np.where(
            self.ne_nodes > 0, self.ne_nodes, 1.0
        )[:, None]
        #: vp = 0: unit vectors along B.
        self.f_nodes_r = self.b_nodes_r / np.where(self.nb_nodes > 0, self.nb_nodes, 1.0)[:, None]

        # Chebyshev tables around every node.
        to_coef = _interpolation_matrix()  # (D+1, D+1)
        b_cheb_r = conv_cheb @ self.U  # (K, D+1, r)
        g01_c = conv_cheb @ cp  # (K, D+1)
        g11_c = np.einsum("kmt,kmt->km", conv_cheb, conv_cheb)
        ne_c = np.sqrt(np.maximum(g11_c - g01_c * g01_c / self.g00, 0.0))
        nb_c = np.sqrt(g11_c)
        e_c = (b_cheb_r - (g01_c / self.g00)[..., None] * self.cp_r) / np.where(
            ne_c > 0, ne_c, 1.0
        )[..., None]
        f_c = b_cheb_r / np.where(nb_c > 0, nb_c, 1.0)[..., None]

        def coef(values: FloatArray) -> FloatArray:
            return np.asarray(np.einsum("nm,km...->kn...", to_coef, values), dtype=np.float64)

        self.e_table: FloatArray = np.ascontiguousarray(coef(e_c))  # (K, D+1, r)
        self.f_table: FloatArray = np.ascontiguousarray(coef(f_c))
        self.b_table: FloatArray = np.ascontiguousarray(coef(b_cheb_r))
        self.ne_table: FloatArray = coef(ne_c)  # (K, D+1)
        self.nb_table: FloatArray = coef(nb_c)
        self.g01_table: FloatArray = coef(g01_c)
        self.g11_table: FloatArray = coef(g11_c)
        self._single = (
            np.ascontiguousarray(self.projector, dtype=np.float32),
            np.ascontiguousarray(self.e_nodes_r, dtype=np.float32),
            np.ascontiguousarray(self.f_nodes_r, dtype=np.float32),
        )

    def projector_for(self, dtype: np.dtype[np.floating]) -> npt.NDArray[np.floating]:
        """:attr:`projector` in the precision of the data."""
        return self._single[0] if dtype == np.float32 else self.projector

    def nodes_for(
        self, dtype: np.dtype[np.floating]
    ) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]]:
        """The unit vectors ``e`` and ``f`` at the nodes, in the precision of the data."""
        if dtype == np.float32:
            return self._single[1], self._single[2]
        return self.e_nodes_r, self.f_nodes_r


def _orthonormal_span(curves: FloatArray) -> FloatArray:
    """Orthonormal columns spanning every row of ``curves`` to about 1e-12 (relative).

    An SVD of a quarter of the rows finds the span (the curves vary smoothly with kep); any
    row that is not represented well enough is then added by Gram–Schmidt.
    """
    norms = np.linalg.norm(curves, axis=1, keepdims=True)
    rows = curves / np.where(norms > 0, norms, 1.0)
    _, sv, vt = np.linalg.svd(rows[::4], full_matrices=False)
    rank = max(1, int(np.sum(sv > _RANK_TOLERANCE * sv[0])))
    basis = vt[:rank].T
    for _ in range(rows.shape[1]):
        residual = rows - (rows @ basis) @ basis.T
        sizes = np.linalg.norm(residual, axis=1)
        worst = int(np.argmax(sizes))
        if sizes[worst] <= 1e-11 or basis.shape[1] >= rows.shape[1]:
            break
        extra = residual[worst] - basis @ (basis.T @ residual[worst])
        basis = np.column_stack([basis, extra / np.linalg.norm(extra)])
    return np.ascontiguousarray(basis)


_DENSE_X = np.linspace(-1.0, 1.0, DENSE_POINTS)
_DENSE_VT = np.ascontiguousarray(cheb.chebvander(_DENSE_X, DEGREE).T)  # (D+1, M)
#: Coefficients to those of the first and second derivative, stacked: ``(2(D+1), D+1)``.
_D12 = np.ascontiguousarray(np.vstack([_derivative_matrix(1), _derivative_matrix(2)]))


def chebyshev_terms(x: FloatArray) -> FloatArray:
    """``T_n(x)`` for ``n = 0..DEGREE``, shape ``(DEGREE + 1,) + x.shape`` (component-major)."""
    out = np.empty((DEGREE + 1, *x.shape))
    out[0] = 1.0
    out[1] = x
    twice = 2.0 * x
    for n in range(2, DEGREE + 1):
        np.multiply(twice, out[n - 1], out=out[n])
        out[n] -= out[n - 2]
    return out


def sorted_coefficients(
    table: npt.NDArray[np.floating], z: npt.NDArray[np.floating], cell: IntArray
) -> tuple[FloatArray, IntArray]:
    """Chebyshev coefficients of ``y · table(u)`` around each voxel's node, in node order.

    Voxels are sorted by node so that each node's coefficients come from one matrix product;
    the results stay in that order (``order`` maps positions to the input voxels), and only
    the final per-voxel values need putting back.

    Parameters
    ----------
    table
        ``(K, D+1, r)`` table in reduced coordinates.
    z
        Reduced projections of the voxels, ``(n, r)``.
    cell
        Node index of every voxel, ``(n,)``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(D+1, n)`` coefficients of the sorted voxels and the sorting ``order``.
    """
    n = cell.size
    # np.take (unlike fancy indexing) releases the GIL, so worker threads run in parallel.
    order = np.argsort(cell)
    counts = np.bincount(cell, minlength=table.shape[0])
    z_sorted = np.take(z, order, axis=0)
    out = np.empty((DEGREE + 1, n), dtype=np.result_type(table, z))
    start = 0
    for j in np.flatnonzero(counts):
        stop = start + int(counts[j])
        np.matmul(table[j], z_sorted[start:stop].T, out=out[:, start:stop])
        start = stop
    return np.asarray(out, dtype=np.float64), order


def unsort(values: FloatArray, order: IntArray) -> FloatArray:
    """Put per-voxel ``values`` computed in ``order`` back in input order."""
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = np.arange(order.size)
    return np.asarray(np.take(values, inverse, axis=0))


def pick(values: FloatArray, column: IntArray) -> FloatArray:
    """``values[i, column[i]]`` for every row ``i`` (GIL-free, unlike fancy indexing)."""
    flat = column + np.arange(values.shape[0]) * values.shape[1]
    return np.asarray(np.take(values, flat), dtype=values.dtype)


def evaluate(coef: FloatArray, terms: FloatArray) -> FloatArray:
    """``Σ_k coef[k, i] · terms[k, i]`` for every voxel ``i`` (component-major arrays)."""
    return np.asarray(np.einsum("ki,ki->i", coef, terms), dtype=np.float64)


def maximize_local(
    coef: FloatArray, lower: FloatArray, upper: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Maximise ``p(x) = Σ coef_k T_k(x)`` over ``x ∈ [lower, upper] ⊂ [−1, 1]`` per voxel.

    ``coef`` is ``(D+1, n)``. A dense evaluation locates the best point, a parabola through
    it and its neighbours refines it, and a Newton step polishes it (kept only if it does not
    lower ``p``).

    Returns
    -------
    tuple of numpy.ndarray
        ``x`` and ``p(x)``, each ``(n,)``, and the Chebyshev terms at ``x``, ``(D+1, n)``.
    """
    n = coef.shape[1]
    if n == 0:
        return np.empty(0), np.empty(0), np.empty((DEGREE + 1, 0))
    values = coef.T @ _DENSE_VT  # (n, M)
    restricted = np.flatnonzero((lower > -1.0) | (upper < 1.0))
    if restricted.size:
        outside = (_DENSE_X[None, :] < lower[restricted, None] - 1e-12) | (
            _DENSE_X[None, :] > upper[restricted, None] + 1e-12
        )
        values[restricted] = np.where(outside, -np.inf, values[restricted])
    best = np.argmax(values, axis=1)
    spacing = _DENSE_X[1] - _DENSE_X[0]
    value = pick(values, best)
    left = pick(values, np.maximum(best - 1, 0))
    right = pick(values, np.minimum(best + 1, DENSE_POINTS - 1))
    denom = left - 2.0 * value + right
    ok = (best > 0) & (best < DENSE_POINTS - 1) & (denom < 0) & np.isfinite(denom)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(ok, 0.5 * (left - right) / np.where(ok, denom, -1.0), 0.0)
    x = np.clip(np.take(_DENSE_X, best) + np.clip(shift, -0.5, 0.5) * spacing, lower, upper)
    terms = chebyshev_terms(x)
    p0 = evaluate(coef, terms)
    derivatives = _D12 @ coef  # (2(D+1), n)
    p1 = evaluate(derivatives[: DEGREE + 1], terms)
    p2 = evaluate(derivatives[DEGREE + 1 :], terms)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(p2 < 0, -p1 / np.where(p2 < 0, p2, -1.0), 0.0)
    trial = np.clip(x + np.clip(step, -spacing, spacing), lower, upper)
    trial_terms = chebyshev_terms(trial)
    p_trial = evaluate(coef, trial_terms)
    worse = np.flatnonzero(p_trial < p0)
    if worse.size:  # rare: keep the parabola's point
        trial[worse] = x[worse]
        p_trial[worse] = p0[worse]
        trial_terms[:, worse] = terms[:, worse]
    return trial, p_trial, trial_terms
