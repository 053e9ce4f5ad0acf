"""Per-chunk containers shared by the fitters (internal)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
FlagArray = npt.NDArray[np.uint8]


@dataclass(slots=True)
class ChunkResult:
    """Fitted values for the voxels of one chunk; every array has shape ``(n,)``."""

    ktrans: FloatArray
    ve: FloatArray
    vp: FloatArray
    kep: FloatArray
    rss: FloatArray
    sstot: FloatArray
    flags: FlagArray

    @classmethod
    def empty(cls, n: int) -> ChunkResult:
        """A result of ``n`` voxels filled with NaN and no flags."""
        nan = np.full(n, np.nan)
        return cls(
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros(n, np.uint8),
        )

    def take(self, other: ChunkResult, where: npt.NDArray[np.bool_]) -> None:
        """Replace the voxels selected by ``where`` with those of ``other``."""
        for name in ("ktrans", "ve", "vp", "kep", "rss", "sstot", "flags"):
            mine = getattr(self, name)
            mine[where] = getattr(other, name)[where]


@dataclass(slots=True)
class Projections:
    """What the fitters need of each voxel curve ``y`` (shape ``(T,)``)."""

    z: FloatArray  #: reduced projections ``Uᵀy``, ``(r, n)``
    yy: FloatArray  #: ``y·y``
    p0: FloatArray  #: ``y·cp``
    sstot: FloatArray  #: ``Σ (y − mean y)²``
    #: ``z`` in the precision of the data, for the grid search (float32 data: float32)
    z_grid: npt.NDArray[np.floating]
