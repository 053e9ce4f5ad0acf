"""DCE-MRI perfusion: arterial input functions, signal to concentration, T1 mapping and
voxel-wise fits of the Tofts, extended Tofts and Patlak models.

Pure NumPy/SciPy; reading and writing images lives in :mod:`pseudoprog.io.nifti`.
Conventions (docs/conventions.md, "Perfusion"): time in seconds at the API, Ktrans and kep
in /min, ve and vp as fractions, concentrations in mM.

Examples
--------
>>> import numpy as np
>>> from pseudoprog.perfusion import extended_tofts, fit_extended_tofts, parker_aif
>>> t = np.arange(0.0, 300.0, 2.5)
>>> cp = parker_aif(t, delay_s=20.0)
>>> ct = extended_tofts(t, cp, ktrans=0.15, ve=0.3, vp=0.04)
>>> fit = fit_extended_tofts(t, ct, cp, method="exact")
>>> round(fit.ktrans.item(), 6), round(fit.ve.item(), 6), round(fit.vp.item(), 6)
(0.15, 0.3, 0.04)
"""

from pseudoprog.perfusion.aif import (
    DEFAULT_HCT,
    FRITZ_HANSEN_1996,
    PARKER_2006,
    WEINMANN_1984,
    BiexponentialAif,
    ParkerParameters,
    PopulationAif,
    biexponential_aif,
    fritz_hansen_aif,
    measured_aif,
    parker_aif,
    population_aif,
    weinmann_aif,
)
from pseudoprog.perfusion.fit import fit_extended_tofts, fit_model, fit_patlak, fit_tofts
from pseudoprog.perfusion.models import (
    Model,
    exp_convolve,
    extended_tofts,
    patlak,
    shift_curve,
    tofts,
)
from pseudoprog.perfusion.result import Bounds, FitFlag, FitMethod, FitResult
from pseudoprog.perfusion.roi import (
    VP_CHANGE_KIND,
    RoiStatistic,
    RoiSummary,
    parameter_change,
    percent_change,
    roi_summaries,
    vp_change_evidence,
)
from pseudoprog.perfusion.signal import Baseline, signal_to_concentration, spgr_signal
from pseudoprog.perfusion.t1 import T1Method, T1Result, vfa_t1

__all__ = [
    "DEFAULT_HCT",
    "FRITZ_HANSEN_1996",
    "PARKER_2006",
    "VP_CHANGE_KIND",
    "WEINMANN_1984",
    "Baseline",
    "BiexponentialAif",
    "Bounds",
    "FitFlag",
    "FitMethod",
    "FitResult",
    "Model",
    "ParkerParameters",
    "PopulationAif",
    "RoiStatistic",
    "RoiSummary",
    "T1Method",
    "T1Result",
    "biexponential_aif",
    "exp_convolve",
    "extended_tofts",
    "fit_extended_tofts",
    "fit_model",
    "fit_patlak",
    "fit_tofts",
    "fritz_hansen_aif",
    "measured_aif",
    "parameter_change",
    "parker_aif",
    "patlak",
    "percent_change",
    "population_aif",
    "roi_summaries",
    "shift_curve",
    "signal_to_concentration",
    "spgr_signal",
    "tofts",
    "vfa_t1",
    "vp_change_evidence",
    "weinmann_aif",
]
