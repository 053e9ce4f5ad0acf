"""Fitting one chunk of voxels at one arterial delay (internal).

The extended Tofts and Tofts linear fits run the fused kernel of
:mod:`pseudoprog.perfusion._linear_kernel` and the extended Tofts exact fit the fused pass of
:mod:`pseudoprog.perfusion._exact_kernel`, both reading the curves where they are (time-major
or voxel-major) and writing straight into the output arrays. The Patlak fits and the exact
Tofts fit use the functions of the reference implementation on time-major chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pseudoprog.perfusion._chunk import ChunkResult
from pseudoprog.perfusion._exact import fit_tofts_exact, project
from pseudoprog.perfusion._inputs import Prepared
from pseudoprog.perfusion._linear import fit_patlak_chunk
from pseudoprog.perfusion.models import Model
from pseudoprog.perfusion.result import Bounds, FitFlag, FitMethod

__all__ = ["Source", "fit_chunk"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Source:
    """Where the curves are: ``flat`` is the ``(N, T)`` view of the input."""

    flat: npt.NDArray[np.floating]

    def contiguous(self, start: int, stop: int) -> tuple[npt.NDArray[np.floating], bool, int]:
        """A C-contiguous array holding voxels ``start:stop``, whether it is voxel-major,
        and the index of voxel ``start`` in it (no copy unless the input is neither
        C-contiguous voxel-major nor C-contiguous time-major)."""
        if self.flat.flags.c_contiguous:
            return self.flat, True, start
        if self.flat.T.flags.c_contiguous:
            return self.flat.T, False, start
        return np.ascontiguousarray(self.flat[start:stop]), True, 0

    def time_major(self, start: int, stop: int) -> tuple[npt.NDArray[np.floating], int]:
        """A C-contiguous time-major array holding voxels ``start:stop``, and the column of
        voxel ``start`` (as the reference reads its chunks)."""
        if self.flat.T.flags.c_contiguous:
            return self.flat.T, start
        return np.ascontiguousarray(self.flat[start:stop].T), 0

    def time_major_view(self, start: int, stop: int) -> npt.NDArray[np.floating]:
        """Voxels ``start:stop`` as a ``(T, n)`` view (for a matrix product; no copy)."""
        return self.flat[start:stop].T


def _linear(
    prep: Prepared, source: Source, start: int, stop: int, dest: ChunkResult, *, with_vp: bool
) -> None:
    from pseudoprog.perfusion._linear_kernel import fit_block_range  # numba: imported when used

    system = prep.system
    data, voxel_major, first = source.contiguous(start, stop)
    fit_block_range(
        data,
        voxel_major,
        first,
        first + stop - start,
        system.cp,
        system.icp,
        system.steps,
        system.uniform,
        with_vp,
        (system.g11, system.g13, system.g33),
        system.kep_range,
        (int(FitFlag.FAILED), int(FitFlag.KEP_AT_BOUND), int(FitFlag.UNPHYSICAL)),
        (dest.ktrans, dest.ve, dest.vp, dest.kep, dest.rss, dest.sstot, dest.flags),
        0,
    )


def _copy(dest: ChunkResult, res: ChunkResult) -> None:
    for name in ("ktrans", "ve", "vp", "kep", "rss", "sstot", "flags"):
        getattr(dest, name)[:] = getattr(res, name)


def fit_chunk(
    model: Model,
    method: FitMethod,
    prep: Prepared,
    source: Source,
    bounds: tuple[int, int],
    limits: Bounds,
    dest: ChunkResult,
) -> None:
    """Fit voxels ``bounds`` at the delay of ``prep``; results into ``dest`` (every field)."""
    start, stop = bounds
    if model is not Model.PATLAK and method is FitMethod.LINEAR:
        _linear(prep, source, start, stop, dest, with_vp=model is Model.EXTENDED_TOFTS)
        return
    if model is Model.PATLAK:
        data, first = source.time_major(start, stop)
        res = fit_patlak_chunk(
            prep.system, data, first, first + stop - start, nonnegative=method is FitMethod.EXACT
        )
        _copy(dest, res)
        return
    if model is Model.EXTENDED_TOFTS:
        from pseudoprog.perfusion._exact_driver import fit_extended_tofts_chunk

        fit_extended_tofts_chunk(prep.basis, source, start, stop, limits.ve_max, dest)
        return
    data, first = source.time_major(start, stop)
    pr = project(prep.basis, data[:, first : first + stop - start])
    _copy(dest, fit_tofts_exact(prep.basis, pr, ve_max=limits.ve_max))
