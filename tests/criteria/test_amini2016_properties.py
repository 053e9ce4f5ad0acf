"""Properties of the Amini 2016 engine that must hold for every history (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.criteria.amini2016 import assess
from pseudoprog.domain import (
    EventKind,
    LesionHistory,
    ResponseCategory,
    Sequence,
    SizeSeries,
)

from .helpers import TREATED, history

E = 2.0
DECIDED = {ResponseCategory.PR, ResponseCategory.SD, ResponseCategory.PD, ResponseCategory.OPP}

# Sizes are measured to 0.1 mm; follow-up days are distinct.
sizes = st.integers(min_value=50, max_value=600).map(lambda k: k / 10)
follow_days = st.lists(
    st.integers(min_value=1, max_value=1500), min_size=1, max_size=10, unique=True
)


@st.composite
def courses(draw: st.DrawFn) -> list[tuple[float, float]]:
    """A T1 course as (week, size): a baseline, then follow-ups."""
    days = sorted(draw(follow_days))
    base_day = -draw(st.integers(min_value=0, max_value=60))
    points = [(base_day / 7, draw(sizes))]
    points += [(d / 7, draw(sizes)) for d in days]
    return points


@st.composite
def event_lists(draw: st.DrawFn) -> list[tuple[float, EventKind]]:
    kinds = st.sampled_from(
        [
            EventKind.SYSTEMIC_THERAPY_CHANGE,
            EventKind.OTHER_BONE_LESIONS_ENLARGED,
            EventKind.OTHER_BONE_LESIONS_DECREASED,
        ]
    )
    weeks = st.integers(min_value=0, max_value=1500).map(lambda d: d / 7)
    return draw(st.lists(st.tuples(weeks, kinds), max_size=4))


def shifted(h: LesionHistory, constant: float) -> LesionHistory:
    per = {
        s: SizeSeries(s, r.dates, tuple(round(x + constant, 1) for x in r.sizes_mm))
        for s, r in h.series.items()
    }
    return LesionHistory(h.lesion, per, h.events, h.events_recorded)


@settings(max_examples=300, deadline=None)
@given(course=courses(), events=event_lists(), constant=st.integers(-40, 40).map(lambda k: k / 10))
def test_adding_a_constant_to_every_size_keeps_the_category(
    course: list[tuple[float, float]], events: list[tuple[float, EventKind]], constant: float
) -> None:
    h = history(course, events=events)
    moved = shifted(h, constant)
    if min(moved.series[Sequence.T1].sizes_mm) <= 0:
        return
    assert assess(moved).category is assess(h).category


@settings(max_examples=300, deadline=None)
@given(course=courses(), events=event_lists())
def test_a_lesion_that_never_grows_by_e_is_pr_or_sd(
    course: list[tuple[float, float]], events: list[tuple[float, EventKind]]
) -> None:
    base = course[0][1]
    capped = [course[0]] + [(w, min(s, round(base + E - 0.1, 1))) for w, s in course[1:]]
    result = assess(history(capped, events=events))
    assert result.category in {ResponseCategory.PR, ResponseCategory.SD}


@settings(max_examples=300, deadline=None)
@given(course=courses(), events=event_lists())
def test_enlarging_categories_exactly_when_growth_reaches_e(
    course: list[tuple[float, float]], events: list[tuple[float, EventKind]]
) -> None:
    result = assess(history(course, events=events))
    base = course[0][1]
    grew = any(s - base >= E - 1e-9 for _, s in course[1:])
    assert result.category.is_enlarging == grew
    t1 = result.per_sequence[Sequence.T1]
    if result.category is ResponseCategory.OPP:
        assert t1.decline_date is not None
        assert t1.peak_date is not None
        assert t1.decline_date > t1.peak_date
        assert t1.peak_change_mm is not None
        assert t1.peak_change_mm >= E - 1e-9


@settings(max_examples=200, deadline=None)
@given(course=courses(), events=event_lists(), extra=st.integers(min_value=0, max_value=400))
def test_as_of_without_new_studies_never_decides_an_indeterminate_lesion(
    course: list[tuple[float, float]], events: list[tuple[float, EventKind]], extra: int
) -> None:
    """Seeing a history up to a study, or up to just before the next one, gives one answer."""
    h = history(course, events=events)
    dates = h.series[Sequence.T1].dates
    for k, study in enumerate(dates):
        later = dates[k + 1] - timedelta(days=1) if k + 1 < len(dates) else study + timedelta(extra)
        now = assess(h, as_of=study)
        waited = assess(h, as_of=later)
        assert waited.category is now.category
        if now.category is ResponseCategory.INDETERMINATE:
            assert waited.category not in DECIDED


@settings(max_examples=200, deadline=None)
@given(course=courses(), events=event_lists(), cut=st.integers(min_value=-60, max_value=1600))
def test_as_of_equals_truncating_the_history(
    course: list[tuple[float, float]], events: list[tuple[float, EventKind]], cut: int
) -> None:
    cut_date = TREATED + timedelta(days=cut)
    h = history(course, events=events)
    kept = [(w, s) for w, s in course if TREATED + timedelta(days=round(w * 7)) <= cut_date]
    if not kept:
        return
    truncated = history(
        kept,
        events=[(w, k) for w, k in events if TREATED + timedelta(days=round(w * 7)) <= cut_date],
    )
    assert assess(h, as_of=cut_date).to_dict() == assess(truncated).to_dict()


@settings(max_examples=200, deadline=None)
@given(course=courses())
def test_systemic_therapy_can_only_turn_opp_into_pd(course: list[tuple[float, float]]) -> None:
    plain = assess(history(course)).category
    with_change = assess(
        history(course, events=[(w, EventKind.SYSTEMIC_THERAPY_CHANGE) for w, _ in course])
    ).category
    if plain is not ResponseCategory.OPP:
        assert with_change is plain
    else:
        assert with_change in {ResponseCategory.OPP, ResponseCategory.PD}
