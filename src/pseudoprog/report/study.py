"""The study report: ``study.json``, ``report.html`` and the figures as PNG files.

:func:`render_study` builds everything in memory; :func:`write_study` writes it into a
directory atomically (all files appear together, or none do), so a failure never leaves a
half-written report.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.domain import Lesion, ResponseCategory as R, Treatment
>>> from pseudoprog.stats.study import run_study
>>> lesions = [Lesion(str(i), f"L{i}", Treatment(date(2010, 1, 1), 24, 1 + 2 * (i % 2)),
...                   response=r) for i, r in enumerate([R.OPP, R.SD, R.PD, R.PR])]
>>> files = render_study(run_study(lesions), generated="2024-01-01")
>>> sorted(files)
['fig_responses.png', 'report.html', 'study.json']
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pseudoprog.io.atomic import atomic_directory
from pseudoprog.report.html import FigureFile, page
from pseudoprog.report.sections import build_sections, header
from pseudoprog.stats.study import StudyResult

__all__ = ["REPORT_FILE", "STUDY_JSON", "StudyFiles", "render_study", "study_json", "write_study"]

STUDY_JSON = "study.json"
REPORT_FILE = "report.html"


def study_json(result: StudyResult) -> str:
    """``study.json`` text: strict JSON (no NaN or Infinity tokens)."""
    return json.dumps(result.to_dict(), indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def _figures(result: StudyResult) -> dict[str, FigureFile]:
    from pseudoprog.report import figures as f

    out: dict[str, FigureFile] = {}
    synthetic = " Synthetic data." if result.is_synthetic("responses") else ""
    groups = [
        (
            "single fraction",
            [
                r
                for x, r in zip(result.lesions, result.lesion_responses, strict=True)
                if x.treatment.single_fraction
            ],
        ),
        (
            "multiple fractions",
            [
                r
                for x, r in zip(result.lesions, result.lesion_responses, strict=True)
                if not x.treatment.single_fraction
            ],
        ),
    ]
    out["responses"] = FigureFile(
        "fig_responses.png",
        f.response_figure([(g, r) for g, r in groups if r]),
        "Responses of the lesions by fractionation; the numbers are lesions." + synthetic,
        "Stacked bars of response counts for single- and multiple-fraction lesions",
    )
    if result.kaplan_meier:
        synthetic = " Synthetic data." if result.is_synthetic("kaplan_meier_fraction") else ""
        out["km"] = FigureFile(
            "fig_km_fraction.png",
            f.kaplan_meier_figure(result.kaplan_meier, result.logrank),
            "OPP-free survival by fractionation (Kaplan-Meier, like Fig 2 of the paper); "
            "shaded: pointwise 95% intervals; ticks: censored lesions; below: lesions still at "
            "risk." + synthetic,
            "Kaplan-Meier curves of OPP-free survival for single- and multiple-fraction lesions",
        )
    if result.incidence:
        out["incidence"] = FigureFile(
            "fig_cumulative_incidence.png",
            f.incidence_figure(result.incidence),
            "Cumulative incidence of OPP and of PD as competing risks (Aalen-Johansen), with "
            "pointwise 95% intervals; yellow band: 3–6 months after treatment, when the paper "
            "advises caution before calling progression." + synthetic,
            "Cumulative incidence curves of OPP and PD",
        )
    error = result.parameters.error_mm
    if result.trajectories:
        course = f.time_course_figure(result.trajectories, error_mm=error)
        if course is not None:
            out["time_course"] = FigureFile(
                "fig_time_course.png",
                course,
                "Change in size from baseline of the OPP lesions over the weeks after "
                "treatment, one panel per sequence (like Fig 3 of the paper). Grey band: "
                f"±{error:g} mm measurement error; yellow band: 3–6 months after treatment, when "
                "the paper advises caution before calling progression." + synthetic,
                "Line plots of size change of each OPP lesion on T1, T2FS and T1C",
            )
        spider = f.spider_figure(
            result.trajectories, sequence=result.parameters.primary_sequence, error_mm=error
        )
        if spider is not None:
            out["spider"] = FigureFile(
                "fig_spider.png",
                spider,
                "Spider plot: change from baseline of every lesion on the primary sequence, "
                "coloured by response." + synthetic,
                "Spider plot of size change of all lesions coloured by response",
            )
    return out


@dataclass(frozen=True, slots=True)
class StudyFiles:
    """Paths of the files written by :func:`write_study`."""

    directory: Path
    json: Path
    report: Path
    figures: tuple[Path, ...]


def render_study(result: StudyResult, *, generated: str | None = None) -> dict[str, bytes]:
    """Every output file, by name, as bytes (``study.json``, ``report.html``, PNGs)."""
    when = generated or datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    figs = _figures(result)
    order = ("responses", "km", "incidence", "time_course", "spider")
    numbered: Mapping[str, tuple[FigureFile, int]] = {
        key: (figs[key], i + 1) for i, key in enumerate(k for k in order if k in figs)
    }
    html = page(
        result.title,
        header(result, when),
        build_sections(result, numbered),
        "Made with pseudoprog. Statistics: lifelines and scipy. Figures: matplotlib. This "
        "report is self-contained: it needs no network to be read.",
    )
    files = {STUDY_JSON: study_json(result).encode(), REPORT_FILE: html.encode()}
    files.update({fig.filename: fig.png for fig in figs.values()})
    return files


def write_study(
    result: StudyResult, directory: str | Path, *, generated: str | None = None
) -> StudyFiles:
    """Write the study outputs into ``directory`` (created if needed), atomically."""
    files = render_study(result, generated=generated)
    target = Path(directory)
    with atomic_directory(target) as staging:
        for name, data in files.items():
            (staging / name).write_bytes(data)
    return StudyFiles(
        directory=target,
        json=target / STUDY_JSON,
        report=target / REPORT_FILE,
        figures=tuple(target / n for n in files if n.endswith(".png")),
    )
