"""The study report: one self-contained HTML file, strict JSON and PNG figures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pseudoprog.report.study import write_study
from pseudoprog.stats.study import StudyResult

PNG = b"\x89PNG\r\n\x1a\n"


def _strict_json(data: bytes) -> Any:
    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(data, parse_constant=refuse)


def _html(files: dict[str, bytes]) -> str:
    return files["report.html"].decode()


@pytest.mark.parametrize("which", ["table1_files", "synthetic_files"])
def test_html_is_self_contained(which: str, request: pytest.FixtureRequest) -> None:
    files: dict[str, bytes] = request.getfixturevalue(which)
    html = _html(files)
    assert html.startswith("<!DOCTYPE html>")
    for forbidden in ("<script", "<link", "@import", "url(", "http://", "https://"):
        assert forbidden not in html
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    pngs = [name for name in files if name.endswith(".png")]
    assert len(sources) == len(pngs)
    assert all(files[name].startswith(PNG) for name in pngs)


def test_table1_report(table1_files: dict[str, bytes]) -> None:
    assert sorted(table1_files) == ["fig_responses.png", "report.html", "study.json"]
    html = _html(table1_files)
    assert "Synthetic data" not in html
    assert "Not computed" in html
    assert "No measurements were given" in html
    doc = _strict_json(table1_files["study.json"])
    assert doc["n_lesions"] == 37
    assert doc["opp_prevalence"]["numerator"] == 5


def test_synthetic_report_says_so_plainly(synthetic_files: dict[str, bytes]) -> None:
    html = _html(synthetic_files)
    assert "Synthetic data" in html
    assert "The measurements and events tables of this study are synthetic" in html
    assert html.count("synthetic data</span>") >= 8  # the notice and each synthetic section
    # the cohort description rests on Table 1 only and is not marked
    cohort = html[html.index('id="cohort"') : html.index('id="responses"')]
    assert "badge synthetic" not in cohort
    assert sorted(n for n in synthetic_files if n.endswith(".png")) == [
        "fig_cumulative_incidence.png",
        "fig_km_fraction.png",
        "fig_responses.png",
        "fig_spider.png",
        "fig_time_course.png",
    ]


def test_synthetic_report_content(synthetic_files: dict[str, bytes]) -> None:
    html = _html(synthetic_files)
    assert "not estimable" in html
    assert "complete separation" in html
    assert "95% CI (normal approx., as the paper)" in html
    assert "8.6–19.1" in html  # the paper's interval, reproduced (Results)
    assert "Number at risk" not in html  # drawn in the figure, not as text
    doc = _strict_json(synthetic_files["study.json"])
    assert doc["provenance"]["synthetic_inputs"] == ["events", "measurements"]


def test_write_study_writes_every_file(tmp_path: Path, table1_result: StudyResult) -> None:
    files = write_study(table1_result, tmp_path / "out", generated="x")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["fig_responses.png", "report.html", "study.json"]
    assert files.report.read_text().startswith("<!DOCTYPE html>")
    assert _strict_json(files.json.read_bytes())["n_patients"] == 36


def test_a_failed_write_leaves_the_directory_as_it_was(
    tmp_path: Path, table1_result: StudyResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    original = Path.write_bytes

    def failing(self: Path, data: bytes) -> int:
        if self.name == "report.html":
            raise OSError("disk full")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        write_study(table1_result, target, generated="x")
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
