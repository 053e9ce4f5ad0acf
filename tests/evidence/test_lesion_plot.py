"""The per-lesion figure is written as a PNG for enlarging, decided and unfollowed lesions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pseudoprog.domain import LesionHistory
from pseudoprog.evidence import ModelParameters, assess_lesion
from pseudoprog.report.lesion_plot import plot_lesion

from .conftest import history, on

PNG = b"\x89PNG\r\n\x1a\n"


def test_plots(tmp_path: Path, histories: dict[str, LesionHistory]) -> None:
    fast = ModelParameters(draws=500)
    cases = {
        "enlarging": (history([(-1, 20.0), (13, 25.0)]), on(14)),
        "unfollowed": (history([(-1, 20.0)]), on(2)),
        "example": (histories["P45-T6"], date(2011, 1, 20)),
        "example-all": (histories["P45-T6"], None),
    }
    for name, (lesion, as_of) in cases.items():
        result = assess_lesion(lesion, as_of=as_of, model=fast)
        path = plot_lesion(result, lesion, tmp_path / "sub" / f"{name}.png")
        assert path.read_bytes()[:8] == PNG
        assert path.stat().st_size > 10_000
