"""Arterial input functions: population models and a measured AIF from an arterial ROI.

All functions take frame times in seconds and return concentrations in mM at those times.
Population AIFs start at the bolus arrival ``delay_s`` and are zero before it.

Examples
--------
>>> import numpy as np
>>> t = np.arange(0.0, 120.0, 30.0)
>>> np.round(parker_aif(t, hct=0.0), 4).tolist()           # blood, bolus at t = 0
[0.0804, 1.2247, 0.8872, 0.8155]
>>> np.round(weinmann_aif(t), 3).tolist()
[0.877, 0.847, 0.818, 0.792]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import CodedEnum
from pseudoprog.errors import ParameterError

__all__ = [
    "DEFAULT_HCT",
    "FRITZ_HANSEN_1996",
    "PARKER_2006",
    "WEINMANN_1984",
    "BiexponentialAif",
    "ParkerParameters",
    "PopulationAif",
    "biexponential_aif",
    "fritz_hansen_aif",
    "measured_aif",
    "parker_aif",
    "population_aif",
    "weinmann_aif",
]

FloatArray = npt.NDArray[np.float64]

#: Large-vessel haematocrit used to turn blood into plasma concentration, 0.45: the value
#: assumed by the QIBA DCE-MRI digital reference object (QIBA DRO v1.42, Barboriak; "T1 blood
#: of 1440; Hct=0.45") and by the Bosca & Jackson anthropomorphic DRO (Phys Med Biol
#: 2016;61:974–982), i.e. the data the OSIPI DCE code collection validates against.
DEFAULT_HCT = 0.45


@dataclass(frozen=True, slots=True)
class ParkerParameters:
    """Parameters of the Parker population AIF (blood concentration, time in minutes).

    ``Cb(t) = Σ_n A_n/(σ_n√(2π))·exp(−(t − T_n)²/(2σ_n²)) + α·exp(−β t)/(1 + exp(−s (t − τ)))``
    (Parker et al., Magn Reson Med 2006;56:993–1000, eq. 1).
    """

    a1: float  #: mM·min
    a2: float  #: mM·min
    t1: float  #: min
    t2: float  #: min
    sigma1: float  #: min
    sigma2: float  #: min
    alpha: float  #: mM
    beta: float  #: /min
    s: float  #: /min
    tau: float  #: min


#: Parker et al., Magn Reson Med 2006;56:993–1000, Table 1 (population-average values),
#: as listed in docs/conventions.md ("Arterial input functions").
PARKER_2006 = ParkerParameters(
    a1=0.809, a2=0.330, t1=0.17046, t2=0.365, sigma1=0.0563, sigma2=0.132,
    alpha=1.050, beta=0.1685, s=38.078, tau=0.483,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BiexponentialAif:
    """``Cp(t) = D·(a1·exp(−m1 t) + a2·exp(−m2 t))`` for ``t ≥ 0``, t in minutes (plasma)."""

    dose: float  #: D, mmol/kg (or 1 when a1, a2 are already in mM)
    a1: float  #: kg/l (mM per unit dose)
    m1: float  #: /min
    a2: float  #: kg/l
    m2: float  #: /min


#: Weinmann et al., Physiol Chem Phys Med NMR 1984;16:167–172, biexponential plasma curve of
#: Gd-DTPA as used by Tofts & Kermode, Magn Reson Med 1991;17:357–367 (dose 0.1 mmol/kg,
#: a1 3.99 kg/l, m1 0.144 /min, a2 4.78 kg/l, m2 0.0111 /min). Values checked against the
#: public implementations dcemriS4 (Whitcher & Schmid, J Stat Softw 2011;44(5),
#: aifParameters "tofts.kermode") and Perfusion.jl (aif_weinmann).
WEINMANN_1984 = BiexponentialAif(dose=0.1, a1=3.99, m1=0.144, a2=4.78, m2=0.0111)

#: Fritz-Hansen et al., Magn Reson Med 1996;36:225–231, biexponential fit of the measured
#: arterial plasma curve (a1 2.4 mM, m1 3.0 /min, a2 0.62 mM, m2 0.016 /min, dose 1), with
#: the values as tabulated by Whitcher & Schmid, J Stat Softw 2011;44(5) (dcemriS4
#: aifParameters "fritz.hansen") and Perfusion.jl (aif_fritzhansen).
FRITZ_HANSEN_1996 = BiexponentialAif(dose=1.0, a1=2.4, m1=3.0, a2=0.62, m2=0.016)


class PopulationAif(CodedEnum):
    """A named population AIF (the value is its command-line code)."""

    PARKER = "parker"
    WEINMANN = "weinmann"
    FRITZ_HANSEN = "fritz-hansen"

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return "aif", "population AIF"


def _times(t_s: npt.ArrayLike, delay_s: float) -> FloatArray:
    t = np.asarray(t_s, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise ParameterError("t_s contains NaN or infinite values; give finite times in s")
    if not np.isfinite(delay_s):
        raise ParameterError(f"delay_s={delay_s!r} must be a finite number of seconds")
    return np.asarray((t - delay_s) / 60.0, dtype=np.float64)


def _check_hct(hct: float) -> float:
    if not (np.isfinite(hct) and 0.0 <= hct < 1.0):
        raise ParameterError(f"hct={hct!r} must be a haematocrit in [0, 1), e.g. 0.45")
    return float(hct)


def parker_aif(
    t_s: npt.ArrayLike,
    *,
    delay_s: float = 0.0,
    hct: float = DEFAULT_HCT,
    parameters: ParkerParameters = PARKER_2006,
) -> FloatArray:
    """Parker 2006 population AIF as plasma concentration ``Cb/(1 − hct)``.

    Parameters
    ----------
    t_s
        Times in seconds.
    delay_s
        Bolus arrival time: the curve is ``Cb(t − delay_s)`` from ``delay_s`` on and 0 before.
    hct
        Haematocrit; ``hct=0`` returns the blood concentration of the paper.
    parameters
        Model parameters (default: Table 1 of the paper).

    >>> import numpy as np
    >>> float(np.round(parker_aif([0.0, 10.0], delay_s=5.0, hct=0.0)[1], 4))
    1.8334
    """
    p = parameters
    t = _times(t_s, delay_s)
    root = np.sqrt(2.0 * np.pi)
    cb = (
        p.a1 / (p.sigma1 * root) * np.exp(-((t - p.t1) ** 2) / (2.0 * p.sigma1**2))
        + p.a2 / (p.sigma2 * root) * np.exp(-((t - p.t2) ** 2) / (2.0 * p.sigma2**2))
        + p.alpha * np.exp(-p.beta * t) / (1.0 + np.exp(-p.s * (t - p.tau)))
    )
    cb = np.where(t >= 0.0, cb, 0.0)
    return np.asarray(cb / (1.0 - _check_hct(hct)), dtype=np.float64)


def biexponential_aif(
    t_s: npt.ArrayLike, parameters: BiexponentialAif, *, delay_s: float = 0.0
) -> FloatArray:
    """Biexponential plasma AIF ``D·(a1·exp(−m1 t) + a2·exp(−m2 t))``, zero before ``delay_s``."""
    p = parameters
    t = _times(t_s, delay_s)
    cp = p.dose * (p.a1 * np.exp(-p.m1 * t) + p.a2 * np.exp(-p.m2 * t))
    return np.asarray(np.where(t >= 0.0, cp, 0.0), dtype=np.float64)


def weinmann_aif(t_s: npt.ArrayLike, *, delay_s: float = 0.0) -> FloatArray:
    """Weinmann 1984 plasma AIF (Tofts & Kermode 1991 form), see :data:`WEINMANN_1984`."""
    return biexponential_aif(t_s, WEINMANN_1984, delay_s=delay_s)


def fritz_hansen_aif(t_s: npt.ArrayLike, *, delay_s: float = 0.0) -> FloatArray:
    """Fritz-Hansen 1996 plasma AIF, see :data:`FRITZ_HANSEN_1996`.

    >>> round(float(fritz_hansen_aif([0.0])[0]), 2)
    3.02
    """
    return biexponential_aif(t_s, FRITZ_HANSEN_1996, delay_s=delay_s)


def population_aif(
    kind: PopulationAif | str, t_s: npt.ArrayLike, *, delay_s: float = 0.0, hct: float = DEFAULT_HCT
) -> FloatArray:
    """The named population AIF as plasma concentration (``hct`` only matters for Parker)."""
    which = PopulationAif.parse(kind)
    if which is PopulationAif.PARKER:
        return parker_aif(t_s, delay_s=delay_s, hct=hct)
    if which is PopulationAif.WEINMANN:
        return weinmann_aif(t_s, delay_s=delay_s)
    return fritz_hansen_aif(t_s, delay_s=delay_s)


def measured_aif(
    curves: npt.ArrayLike,
    *,
    roi: npt.ArrayLike | None = None,
    hct: float = DEFAULT_HCT,
    blood: bool = True,
) -> FloatArray:
    """The mean concentration curve of an arterial ROI, as plasma concentration.

    Parameters
    ----------
    curves
        Concentration curves, time on the last axis, shape ``(..., T)`` (mM).
    roi
        Boolean mask of the leading shape selecting the arterial voxels; all voxels if None.
    hct
        Haematocrit used to convert blood to plasma concentration.
    blood
        True when ``curves`` are blood concentrations (the usual case for a measured AIF);
        False when they already are plasma concentrations.

    >>> import numpy as np
    >>> measured_aif(np.array([[0.0, 2.0], [0.0, 4.0]]), hct=0.5).tolist()
    [0.0, 6.0]
    """
    data = np.asarray(curves, dtype=np.float64)
    if data.ndim < 1:
        raise ParameterError("curves must have time on its last axis; got a scalar")
    flat = data.reshape(-1, data.shape[-1])
    if roi is not None:
        mask = np.asarray(roi, dtype=bool)
        if mask.shape != data.shape[:-1]:
            raise ParameterError(
                f"roi has shape {mask.shape}; it must match the curves' leading shape "
                f"{data.shape[:-1]}"
            )
        flat = flat[mask.reshape(-1)]
    if flat.shape[0] == 0:
        raise ParameterError("the arterial ROI is empty; select at least one voxel")
    finite = np.all(np.isfinite(flat), axis=1)
    if not np.any(finite):
        raise ParameterError("every curve of the arterial ROI contains NaN or infinite values")
    mean = flat[finite].mean(axis=0)
    factor = 1.0 / (1.0 - _check_hct(hct)) if blood else 1.0
    return np.asarray(mean * factor, dtype=np.float64)
