"""Results of kinetic model fits: parameter maps, quality measures and what was done.

Examples
--------
>>> import numpy as np
>>> from pseudoprog.perfusion import fit_patlak, parker_aif, patlak
>>> t = np.arange(0.0, 300.0, 5.0)
>>> cp = parker_aif(t, delay_s=20.0)
>>> result = fit_patlak(t, patlak(t, cp, ktrans=0.1, vp=0.05), cp)
>>> result.ok.item(), round(result.vp.item(), 3)
(True, 0.05)
>>> print(result.summary().splitlines()[0])
Patlak fit (exact), 1 voxel: 1 ok (100.0%)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntFlag

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import CodedEnum
from pseudoprog.errors import ParameterError
from pseudoprog.perfusion.models import Model

__all__ = ["Bounds", "FitFlag", "FitMethod", "FitResult"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
FlagArray = npt.NDArray[np.uint8]


class FitMethod(CodedEnum):
    """How the model is fitted."""

    #: Linear least squares on the integrated model equation (Murase, Magn Reson Med
    #: 2004;51:858–862); closed form, fast, slightly biased with noise.
    LINEAR = "linear"
    #: The true (non-negative) least-squares optimum of the model, searched over kep.
    EXACT = "exact"

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return "method", "fitting method"


class FitFlag(IntFlag):
    """Per-voxel quality flags (a bit mask, stored as ``uint8``)."""

    NONE = 0
    #: The curve could not be fitted (non-finite samples, or a singular linear system).
    FAILED = 1
    #: Ktrans is 0: no leakage is seen, so kep and ve are undefined (NaN). Not an error.
    NO_UPTAKE = 2
    #: kep ended at an end of the search range ``[kep_min, kep_max]``.
    KEP_AT_BOUND = 4
    #: A parameter is outside its physical range (negative, ve > ve_max, vp > vp_max or
    #: Ktrans > ktrans_max; only the linear method can give negative values or ve > ve_max);
    #: the value is kept so that it can be inspected.
    UNPHYSICAL = 8
    #: The fitted arterial delay is at an end of the delay search range.
    DELAY_AT_BOUND = 16
    #: ve ended at its upper limit ``ve_max`` (exact method): the data alone would put it
    #: higher, typically a washout too slow to determine ve.
    VE_AT_BOUND = 32

    @classmethod
    def not_ok(cls) -> FitFlag:
        """Flags that make a voxel's fit unusable (``ok`` is False)."""
        return cls.FAILED | cls.KEP_AT_BOUND | cls.UNPHYSICAL | cls.DELAY_AT_BOUND | cls.VE_AT_BOUND


@dataclass(frozen=True, slots=True)
class Bounds:
    """Search range of kep, the ve constraint and the physical limits used to flag a fit.

    The exact method constrains Ktrans ≥ 0, vp ≥ 0 and ve ≤ ``ve_max`` and searches kep in
    ``[kep_min, kep_max]``; voxels ending on the ve or kep limit are flagged. ``ktrans_max``
    and ``vp_max`` do not constrain the fit (they are essentially never reached by real
    tissue): a voxel beyond one keeps its least-squares values and is flagged
    :attr:`FitFlag.UNPHYSICAL`, as are the negative or ``ve > ve_max`` values of the
    (unconstrained) linear method.

    Parameters
    ----------
    kep_min, kep_max
        kep search range in /min. The upper end 100 /min is Ktrans 5 /min over ve 0.05; the
        lower end 1e-3 /min is a half-life of 11.5 h, beyond any DCE acquisition.
    ktrans_max
        5 /min, the upper bound used for Ktrans and PS by the OSIPI DCE-DSC-MRI code
        collection test suite (test/DCEmodels/DCEmodels_data.py, header: "bounds=(0,5),
        units /min").
    ve_max, vp_max
        1: ve and vp are volumes per unit volume of tissue (Tofts et al., J Magn Reson Imaging
        1999;10:223–232, standardised quantities), so they cannot exceed 1.
    """

    kep_min: float = 1e-3
    kep_max: float = 100.0
    ktrans_max: float = 5.0
    ve_max: float = 1.0
    vp_max: float = 1.0

    def __post_init__(self) -> None:
        for name in ("kep_min", "kep_max", "ktrans_max", "ve_max", "vp_max"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ParameterError(f"Bounds.{name}={value!r} must be a positive number")
        if not self.kep_min < self.kep_max:
            raise ParameterError(
                f"Bounds.kep_min={self.kep_min} must be below kep_max={self.kep_max}"
            )


@dataclass(frozen=True, eq=False)
class FitResult:
    """Voxel-wise result of a kinetic model fit.

    Every array has the shape of the leading axes of the fitted data. Parameters a model does
    not have are NaN (vp for Tofts; ve and kep for Patlak); ve and kep are NaN where Ktrans
    is 0.

    Attributes
    ----------
    ktrans, kep
        Transfer constant and rate constant, /min.
    ve, vp
        Extravascular extracellular and plasma volume fractions.
    delay_s
        Arterial delay in seconds (the fixed delay used when it was not fitted).
    rss
        Residual sum of squares of the fitted model curve, mM².
    r2
        Coefficient of determination, ``1 − rss / Σ(y − ȳ)²``.
    ok
        True where the fit succeeded and is physical (no flag of :meth:`FitFlag.not_ok`).
    flags
        :class:`FitFlag` bit mask per voxel.
    """

    model: Model
    method: FitMethod
    ktrans: FloatArray
    ve: FloatArray
    vp: FloatArray
    kep: FloatArray
    delay_s: FloatArray
    rss: FloatArray
    r2: FloatArray
    ok: BoolArray
    flags: FlagArray
    bounds: Bounds = field(default_factory=Bounds)
    delays_searched_s: tuple[float, ...] = (0.0,)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the parameter arrays."""
        return tuple(self.ktrans.shape)

    def maps(self) -> Mapping[str, FloatArray]:
        """Parameter and quality arrays by name (the model's parameters first)."""
        names = [*self.model.parameters, "delay_s", "rss", "r2"]
        out: dict[str, FloatArray] = {name: getattr(self, name) for name in names}
        out["ok"] = self.ok.astype(np.float64)
        out["flags"] = self.flags.astype(np.float64)
        return out

    def summary(self) -> str:
        """A short text report: counts, flags and the median and IQR of each parameter."""
        total = int(self.ok.size)
        good = int(np.count_nonzero(self.ok))
        noun = "voxel" if total == 1 else "voxels"
        share = 100.0 * good / total if total else 0.0
        title = {"tofts": "Tofts", "extended-tofts": "Extended Tofts", "patlak": "Patlak"}
        lines = [
            f"{title[self.model.value]} fit ({self.method.value}), {total} {noun}: "
            f"{good} ok ({share:.1f}%)"
        ]
        for flag in FitFlag:
            if flag is FitFlag.NONE:
                continue
            count = int(np.count_nonzero(self.flags & np.uint8(flag)))
            if count:
                lines.append(f"  {str(flag.name).lower()}: {count}")
        units = {"ktrans": "/min", "kep": "/min", "ve": "", "vp": "", "delay_s": "s", "r2": ""}
        for name in [*self.model.parameters, "delay_s", "r2"]:
            values = getattr(self, name)[self.ok]
            values = values[np.isfinite(values)]
            if values.size == 0:
                lines.append(f"  {name}: no ok voxel")
                continue
            q1, med, q3 = np.percentile(values, [25, 50, 75])
            unit = f" {units[name]}" if units[name] else ""
            lines.append(f"  {name}: median {med:.4g}{unit} (IQR {q1:.4g}–{q3:.4g})")
        return "\n".join(lines)
