"""One chunk of the exact extended Tofts fit: two BLAS products and the fused pass (internal).

The projection ``[U, 1]ᵀ y`` and the grid ``y·e(u_k)`` are single-precision matrix products
for float32 data (double for float64), called on the chunk where it lies: a time-major chunk
is a column block read in place, a voxel-major chunk is passed transposed (BLAS reads it with
its transpose flag, no copy). Their outputs go to buffers kept per worker thread, so that no
memory is mapped and faulted in again for every chunk. Everything else is the compiled
per-voxel pass of :mod:`pseudoprog.perfusion._exact_kernel`.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.perfusion._basis import _D12, _DENSE_VT, _DENSE_X, ConvolutionBasis
from pseudoprog.perfusion._chunk import ChunkResult
from pseudoprog.perfusion._engine import Source
from pseudoprog.perfusion.result import FitFlag

__all__ = ["fit_extended_tofts_chunk"]

FloatArray = npt.NDArray[np.float64]

_tables: weakref.WeakKeyDictionary[ConvolutionBasis, dict[float, tuple[Any, ...]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()
_buffers = threading.local()


def _c(values: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


def _build(basis: ConvolutionBasis, ve_max: float) -> tuple[Any, ...]:
    nodes = basis.grid.nodes
    kep_nodes = np.exp(nodes)
    ne_mask = np.where(basis.ne_nodes > 0, basis.ne_nodes, 1.0)
    shared = (
        _c(basis.cp_r),
        _c(nodes),
        _c(basis.e_nodes_r),
        _c(basis.f_nodes_r.T),
        _c(basis.b_nodes_r.T),
        _c(kep_nodes),
        _c([nodes[0], nodes[-1]]),
    )
    node_tables = (
        _c(basis.ne_nodes),
        _c(basis.nb_nodes),
        _c(basis.g01_nodes),
        _c(basis.g11_nodes),
        _c(basis.g01_nodes / ne_mask),
        _c(ne_mask),
        _c(ve_max * np.exp(nodes) * basis.nb_nodes),
        _c(ve_max * np.exp(nodes) * ne_mask),
    )
    cheb_tables = (
        _c(basis.e_table.transpose(0, 2, 1)),
        _c(basis.f_table.transpose(0, 2, 1)),
        _c(basis.b_table.transpose(0, 2, 1)),
        _c(basis.ne_table),
        _c(basis.nb_table),
        _c(basis.g01_table),
        _c(basis.g11_table),
    )
    width = 1.0 / 16.0
    search = (
        _c(_DENSE_X),
        _c(_DENSE_VT),
        _c(_D12),
        _c(np.linspace(-1.0, 1.0, 33)),
        _c(np.linspace(-width, width, 17)),
    )
    scalars = (float(basis.g00), float(ve_max), float(basis.grid.step))
    return shared, node_tables, cheb_tables, search, scalars


def tables(basis: ConvolutionBasis, ve_max: float) -> tuple[Any, ...]:
    """The arrays of ``basis`` laid out for the compiled pass (built once per basis)."""
    with _lock:
        per_basis = _tables.setdefault(basis, {})
        if ve_max not in per_basis:
            per_basis[ve_max] = _build(basis, ve_max)
        return per_basis[ve_max]


def _buffer(name: str, shape: tuple[int, int], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """A per-thread output buffer, reused while the shape and type stay the same."""
    key = (name, shape, dtype.str)
    store: dict[tuple[str, tuple[int, int], str], npt.NDArray[Any]] | None = getattr(
        _buffers, "store", None
    )
    if store is None:
        store = {}
        _buffers.store = store
    found = store.get(key)
    if found is None:
        for old in [k for k in store if k[0] == name]:
            del store[old]
        found = np.empty(shape, dtype=dtype)
        store[key] = found
    return found


def fit_extended_tofts_chunk(
    basis: ConvolutionBasis, source: Source, start: int, stop: int, ve_max: float, dest: ChunkResult
) -> None:
    """Exact extended Tofts fit of voxels ``start:stop``; every field of ``dest`` written."""
    from pseudoprog.perfusion._exact_kernel import fit_voxels, sum_squares

    yt = source.time_major_view(start, stop)  # (T, n), a view
    projector = basis.projector_for(yt.dtype)
    e_nodes = basis.nodes_for(yt.dtype)[0]
    n = stop - start
    proj = _buffer("proj", (projector.shape[0], n), projector.dtype)
    np.matmul(projector, yt, out=proj)
    s_grid = _buffer("grid", (n, e_nodes.shape[0]), projector.dtype)
    np.matmul(proj.T[:, :-1], e_nodes.T, out=s_grid)
    data, voxel_major, first = source.contiguous(start, stop)
    yy = np.empty(n)
    sum_squares(data, voxel_major, first, first + n, yy, dest.sstot)
    shared, node_tables, cheb_tables, search, scalars = tables(basis, ve_max)
    bits = (int(FitFlag.NO_UPTAKE), int(FitFlag.VE_AT_BOUND), int(FitFlag.KEP_AT_BOUND))
    fit_voxels(
        proj, s_grid, yy, shared, node_tables, cheb_tables, search, scalars, bits,
        (dest.ktrans, dest.ve, dest.vp, dest.kep, dest.rss, dest.flags),
    )  # fmt: skip
