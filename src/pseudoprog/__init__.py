"""pseudoprog: tell pseudoprogression from true progression on serial imaging.

The pure core lives in :mod:`pseudoprog.domain`, :mod:`pseudoprog.criteria`,
:mod:`pseudoprog.evidence`, :mod:`pseudoprog.stats` and :mod:`pseudoprog.perfusion`; reading
and writing files is in :mod:`pseudoprog.io`, figures and reports in :mod:`pseudoprog.report`,
and the ``pseudoprog`` command in :mod:`pseudoprog.cli`.
"""

from __future__ import annotations

from pseudoprog.criteria.amini2016 import Amini2016Parameters, assess
from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import (
    Event,
    EventKind,
    Lesion,
    LesionHistory,
    Measurement,
    ResponseCategory,
    Sequence,
    SizeSeries,
    Treatment,
)

__version__ = "0.1.0"

__all__ = [
    "Amini2016Parameters",
    "Assessment",
    "Event",
    "EventKind",
    "Lesion",
    "LesionHistory",
    "Measurement",
    "ResponseCategory",
    "Sequence",
    "SizeSeries",
    "Treatment",
    "__version__",
    "assess",
]
