"""Figure functions return PNG images, or None when there is nothing to draw."""

from __future__ import annotations

from pseudoprog.domain import ResponseCategory, Sequence
from pseudoprog.report import figures
from pseudoprog.stats.accuracy import diagnostic_accuracy
from pseudoprog.stats.study import StudyResult

PNG = b"\x89PNG\r\n\x1a\n"


def test_each_figure(synthetic_result: StudyResult) -> None:
    s = synthetic_result
    error = s.parameters.error_mm
    images = [
        figures.kaplan_meier_figure(s.kaplan_meier, s.logrank),
        figures.incidence_figure(s.incidence),
        figures.time_course_figure(s.trajectories, error_mm=error),
        figures.spider_figure(s.trajectories, sequence=Sequence.T2FS, error_mm=error),
        figures.response_figure([("all", list(s.lesion_responses))]),
        figures.roc_figure(diagnostic_accuracy([1.0, 2.0, 3.0, 4.0], [False, True, False, True])),
    ]
    for image in images:
        assert image is not None
        assert image.startswith(PNG)


def test_nothing_to_draw(synthetic_result: StudyResult) -> None:
    no_pd = [t for t in synthetic_result.trajectories if t.response is not ResponseCategory.PD]
    assert figures.time_course_figure(no_pd, error_mm=2, response=ResponseCategory.PD) is None
    assert figures.spider_figure([], sequence=Sequence.T1, error_mm=2) is None
