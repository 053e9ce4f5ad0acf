"""Access to the OSIPI DCE-DSC-MRI code collection test data (read in place, never copied).

The data live beside the repository in ``../shared/reference/osipi`` (override with the
environment variable ``PSEUDOPROG_OSIPI_DIR``). When they are absent every OSIPI test is
skipped with a message saying where they were looked for.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPO_ROOT / ".." / "shared" / "reference" / "osipi"


def osipi_dir() -> Path:
    """Where the OSIPI reference data are looked for."""
    override = os.environ.get("PSEUDOPROG_OSIPI_DIR")
    return Path(override) if override else DEFAULT_DIR


def skip_reason(relative: str) -> str | None:
    """None when ``relative`` exists under the OSIPI directory, else why the test skips."""
    path = osipi_dir() / relative
    if path.exists():
        return None
    return (
        f"OSIPI reference data not found: looked for {path.resolve()} (set "
        "PSEUDOPROG_OSIPI_DIR to the folder holding DCEmodels/, PopulationAIF_DCE/, "
        "SI_to_Conc/ and T1_mapping/)"
    )


def array(text: Any) -> np.ndarray:
    """An array stored in a CSV cell as numbers separated by spaces."""
    return np.array(str(text).split(), dtype=np.float64)


def read(relative: str) -> pd.DataFrame:
    """A reference CSV (the OSIPI files may start with a byte-order mark)."""
    frame = pd.read_csv(osipi_dir() / relative, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def cases(relative: str, make: Callable[[pd.DataFrame], Iterable[Any]]) -> list[Any]:
    """``pytest.param`` objects from a reference file, or one skipped param if it is absent."""
    reason = skip_reason(relative)
    if reason is not None:
        return [pytest.param(None, id="osipi-data-missing", marks=pytest.mark.skip(reason=reason))]
    return list(make(read(relative)))


def within(fitted: float, reference: float, a_tol: float, r_tol: float) -> bool:
    """The OSIPI pass rule ``|fitted − reference| ≤ a_tol + r_tol·|reference|``."""
    return bool(abs(fitted - reference) <= a_tol + r_tol * abs(reference))


#: OSIPI tolerances (reference README: a_tol, r_tol).
TOLERANCE = {
    "ktrans": (0.005, 0.1),
    "ps": (0.005, 0.1),
    "ve": (0.05, 0.0),
    "vp": (0.025, 0.0),
    "delay_s": (1.0, 0.0),
    "parker": (1e-4, 0.01),
    "parker_delay": (0.1, 0.1),
    "r1": (0.05, 0.05),
    "conc": (1e-5, 1e-5),
}
