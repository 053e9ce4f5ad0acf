"""RECIST 1.1 (Eisenhauer et al. 2009): every rule, table-driven, and properties.

Expected values are computed by hand from the guideline's rules and written here.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.criteria import recist
from pseudoprog.criteria.codes import OverallResponse as R
from pseudoprog.criteria.recist import RecistParameters, overall_response
from pseudoprog.errors import ParameterError
from tests.criteria.patients import day, record, shifted


def responses(result) -> list[str]:
    return [t.response.value for t in result.timepoints]


def targets(result) -> list[str | None]:
    return [
        None if t.target_response is None else t.target_response.value for t in result.timepoints
    ]


# ---- target response -----------------------------------------------------------------------

TARGET_CASES = [
    # (id, {lesion: [(day, size)]}, nodes, expected target responses)
    ("exactly 30% down is PR", {"A": [(0, 50), (56, 35)]}, (), ["PR"]),
    ("28% down is SD", {"A": [(0, 50), (56, 36)]}, (), ["SD"]),
    (
        "exactly 20% and 6 mm above nadir is PD",
        {"A": [(0, 50), (56, 30), (112, 36)]},
        (),
        ["PR", "PD"],
    ),
    ("19.7% above nadir is not PD", {"A": [(0, 50), (56, 30), (112, 35.9)]}, (), ["PR", "SD"]),
    ("40% above nadir but 4 mm is not PD", {"A": [(0, 20), (56, 10), (112, 14)]}, (), ["PR", "PR"]),
    (
        "PD is judged from the nadir, not baseline",
        {"A": [(0, 40), (56, 30), (112, 37)]},
        (),
        ["SD", "PD"],
    ),
    ("two targets summed", {"A": [(0, 30), (56, 20)], "B": [(0, 20), (56, 15)]}, (), ["PR"]),
    (
        "node below 10 mm and lesions gone is CR",
        {"N": [(0, 18), (56, 9.9)], "A": [(0, 12), (56, 0)]},
        ("N",),
        ["CR"],
    ),
    ("node at exactly 10 mm is not CR", {"N": [(0, 20), (56, 10)]}, ("N",), ["PR"]),
    ("target recorded absent counts 0", {"A": [(0, 15), (56, "absent")]}, (), ["CR"]),
    ("present, too small to measure, counts 5 mm", {"A": [(0, 20), (56, "present")]}, (), ["PR"]),
    ("missing target gives NE", {"A": [(0, 30), (56, 28)], "B": [(0, 20), (56, None)]}, (), ["NE"]),
    (
        "not evaluated target gives NE",
        {"A": [(0, 30), (56, 28)], "B": [(0, 20), (56, "not_evaluated")]},
        (),
        ["NE"],
    ),
    (
        "measured targets alone reach PD",
        {"A": [(0, 30), (56, 62)], "B": [(0, 20), (56, None)]},
        (),
        ["PD"],
    ),
    (
        "regrowth after CR: PD needs 5 mm from 0",
        {"A": [(0, 12), (56, 0), (112, 4), (168, 5)]},
        (),
        ["CR", "PR", "PD"],
    ),
]


@pytest.mark.parametrize(
    ("series", "nodes", "expected"),
    [c[1:] for c in TARGET_CASES],
    ids=[c[0] for c in TARGET_CASES],
)
def test_target_response(series, nodes, expected) -> None:
    result = recist.assess(record(series, nodes=nodes))
    assert targets(result) == expected


def test_sums_and_changes_are_reported() -> None:
    result = recist.assess(
        record({"A": [(0, 30), (56, 20), (112, 25)], "B": [(0, 20), (56, 10), (112, 12)]})
    )
    first, second = result.timepoints
    assert result.baseline_sum_mm == 50
    assert (first.target_sum_mm, first.change_from_baseline_pct, first.change_from_nadir_pct) == (
        30,
        -40,
        -40,
    )
    assert second.target_sum_mm == 37
    assert second.change_from_baseline_pct == pytest.approx(-26.0)
    assert second.change_from_nadir_pct == pytest.approx(100 * 7 / 30)
    # 37 mm is 23% above the nadir of 30 mm and 7 mm: PD
    assert second.target_response is R.PD
    assert "+7.0 mm" in second.reasons[0].message
    assert "nadir 30.0 mm" in second.reasons[0].message


# ---- non-target and new lesions ---------------------------------------------------------------

NON_TARGET_CASES = [
    (
        "all absent is CR",
        {"A": [(0, 20), (56, 0)]},
        {"X": [(0, "present"), (56, "absent")]},
        "CR",
        "CR",
    ),
    (
        "target CR, non-target present is PR",
        {"A": [(0, 20), (56, 0)]},
        {"X": [(0, "present"), (56, "present")]},
        "NON_CR_NON_PD",
        "PR",
    ),
    (
        "target CR, non-target not evaluated is PR",
        {"A": [(0, 20), (56, 0)]},
        {"X": [(0, "present"), (56, "not_evaluated")]},
        "NE",
        "PR",
    ),
    (
        "unequivocal progression is PD",
        {"A": [(0, 20), (56, 12)]},
        {"X": [(0, "present"), (56, "unequivocal_progression")]},
        "PD",
        "PD",
    ),
    (
        "target SD, non-target not evaluated is SD",
        {"A": [(0, 20), (56, 19)]},
        {"X": [(0, "present"), (56, None)]},
        "NE",
        "SD",
    ),
    (
        "equivocal is not PD",
        {"A": [(0, 20), (56, 19)]},
        {"X": [(0, "present"), (56, "equivocal")]},
        "NON_CR_NON_PD",
        "SD",
    ),
    (
        "non-target only, present",
        {},
        {"X": [(0, "present"), (56, "present")]},
        "NON_CR_NON_PD",
        "NON_CR_NON_PD",
    ),
    ("non-target only, absent", {}, {"X": [(0, "present"), (56, "absent")]}, "CR", "CR"),
    (
        "non-target only, not evaluated",
        {},
        {"X": [(0, "present"), (56, "not_evaluated")]},
        "NE",
        "NE",
    ),
]


@pytest.mark.parametrize(
    ("tgt", "non_tgt", "expected_nt", "expected"),
    [c[1:] for c in NON_TARGET_CASES],
    ids=[c[0] for c in NON_TARGET_CASES],
)
def test_non_target_response(tgt, non_tgt, expected_nt, expected) -> None:
    (point,) = recist.assess(record(tgt, non_tgt)).timepoints
    assert point.non_target_response.value == expected_nt
    assert point.response.value == expected


def test_new_lesion_is_progression() -> None:
    result = recist.assess(record({"A": [(0, 30), (56, 15)]}, new={"N": [(56, "present")]}))
    (point,) = result.timepoints
    assert (point.target_response, point.new_lesions, point.response) == (R.PR, True, R.PD)


def test_equivocal_new_lesion_waits_and_dates_back_when_confirmed() -> None:
    result = recist.assess(
        record(
            {"A": [(0, 30), (56, 28), (112, 27)]}, new={"N": [(56, "equivocal"), (112, "present")]}
        )
    )
    first, second = result.timepoints
    assert (first.response, first.new_lesions) == (R.SD, False)
    assert (second.response, second.new_lesions) == (R.PD, True)
    assert f"N from {day(56).isoformat()}" in second.reasons[1].message
    assert any(w.code == "equivocal_new_lesion" for w in result.warnings)


def test_new_lesion_without_baseline_disease() -> None:
    (point,) = recist.assess(record(new={"N": [(56, "present")]})).timepoints
    assert point.response is R.PD


# ---- the overall-response table -----------------------------------------------------------

#: RECIST 1.1 Table 1 (targets at baseline) and Table 2 (non-targets only), written out.
TABLE_1 = {
    ("CR", "CR"): "CR",
    ("CR", None): "CR",
    ("CR", "NON_CR_NON_PD"): "PR",
    ("CR", "NE"): "PR",
    ("PR", "NON_CR_NON_PD"): "PR",
    ("PR", "NE"): "PR",
    ("PR", "CR"): "PR",
    ("PR", None): "PR",
    ("SD", "NON_CR_NON_PD"): "SD",
    ("SD", "NE"): "SD",
    ("SD", "CR"): "SD",
    ("SD", None): "SD",
    ("NE", "NON_CR_NON_PD"): "NE",
    ("NE", "CR"): "NE",
    ("NE", "NE"): "NE",
    ("NE", None): "NE",
}
TABLE_2 = {"CR": "CR", "NON_CR_NON_PD": "NON_CR_NON_PD", "NE": "NE"}


@pytest.mark.parametrize(
    ("target", "non_target", "new"),
    list(
        itertools.product(
            ["CR", "PR", "SD", "PD", "NE", None],
            ["CR", "NON_CR_NON_PD", "PD", "NE", None],
            [False, True],
        )
    ),
)
def test_overall_response_table(target, non_target, new) -> None:
    got = overall_response(
        None if target is None else R(target), None if non_target is None else R(non_target), new
    )
    if new or "PD" in (target, non_target):
        expected = "PD"
    elif target is None:
        expected = "NE" if non_target is None else TABLE_2[non_target]
    else:
        expected = TABLE_1[(target, non_target)]
    assert got.value == expected


# ---- baseline checks, parameters, as_of, best response ----------------------------------------


def test_baseline_problems_name_the_lesions() -> None:
    six = {f"L{i}": [(0, 20)] for i in range(6)}
    organs = {f"L{i}": "liver" if i < 3 else f"o{i}" for i in range(6)}
    problems = recist.baseline_problems(record(six, organs=organs), RecistParameters())
    messages = [p[1] for p in problems]
    assert any("6 target lesions" in m and "at most 5" in m for m in messages)
    assert any("3 target lesions in organ liver (L0, L1, L2)" in m for m in messages)


def test_lymph_nodes_are_one_organ_and_measured_by_short_axis() -> None:
    rec = record({"N1": [(0, 16)], "N2": [(0, 15)], "N3": [(0, 14)]}, nodes=("N1", "N2", "N3"))
    messages = [p[1] for p in recist.baseline_problems(rec, RecistParameters())]
    assert any("3 target lesions in organ lymph_node" in m for m in messages)
    assert any(
        "N3 is not measurable at baseline (short axis 14 mm, at least 15 mm" in m for m in messages
    )
    assert not any("N2 is not measurable" in m for m in messages)


def test_small_target_is_not_measurable() -> None:
    rec = record({"A": [(0, 9.5)], "B": [(0, 10)]})
    problems = recist.baseline_problems(rec, RecistParameters())
    assert [p[0].lesion_id for p in problems] == ["A"]


def test_parameters_change_the_thresholds_and_are_recorded() -> None:
    params = RecistParameters(pr_decrease_pct=50)
    result = recist.assess(record({"A": [(0, 50), (56, 30)]}), params=params)
    assert targets(result) == ["SD"]
    assert result.parameters.to_dict()["pr_decrease_pct"] == 50
    assert result.parameters.to_dict()["criteria"] == "recist1.1"


def test_parameters_from_mapping_reject_unknown_keys() -> None:
    with pytest.raises(ParameterError, match=r"unknown parameter 'pr_pct'.*known parameters"):
        RecistParameters.from_mapping({"pr_pct": 20})
    params = RecistParameters.from_mapping({"pd_min_increase_mm": 0, "confirmation_required": True})
    assert params.pd_min_increase_mm == 0
    assert params.best_response.confirmation_required is True


def test_bad_parameters_name_the_argument() -> None:
    with pytest.raises(ParameterError, match="max_targets must be at least 1"):
        RecistParameters(max_targets=0)


def test_as_of_sees_only_earlier_scans() -> None:
    rec = record({"A": [(0, 40), (56, 30), (112, 37)]})
    assert responses(recist.assess(rec, as_of=day(100))) == ["SD"]
    assert responses(recist.assess(rec)) == ["SD", "PD"]


def test_timepoint_window_groups_scans_of_one_assessment() -> None:
    rec = record({"A": [(0, 30), (56, 20)], "B": [(0, 20), (59, 10)]})
    assert responses(recist.assess(rec)) == ["NE", "NE"]
    grouped = recist.assess(rec, params=RecistParameters(timepoint_window_days=7))
    assert responses(grouped) == ["PR"]
    assert grouped.timepoints[0].date == day(56)


def test_no_follow_up_is_a_warning() -> None:
    result = recist.assess(record({"A": [(0, 30)]}))
    assert result.timepoints == ()
    assert result.best_overall_response is None
    assert [w.code for w in result.warnings] == ["no_follow_up"]


def test_best_overall_response_uses_the_confirmation_rules() -> None:
    rec = record({"A": [(0, 50), (56, 30), (70, 31), (120, 32)]})
    assert recist.assess(rec).best_overall_response is R.PR
    confirmed = RecistParameters.from_mapping({"confirmation_required": True})
    result = recist.assess(rec, params=confirmed)
    # PR on day 56 is confirmed by the PR on day 120 (64 days later; day 70 is too early)
    assert (result.best_overall_response, result.best_response_confirmed) == (R.PR, True)
    assert result.best_response_date == day(56)


# ---- properties ------------------------------------------------------------------------------

ORDER = {"CR": 0, "PR": 1, "SD": 2, "NON_CR_NON_PD": 3, "NE": 4, "PD": 5}

sizes = st.floats(min_value=10, max_value=120, allow_nan=False).map(lambda v: round(v, 1))


@st.composite
def shrinking(draw):
    """Targets at baseline and scans at which every target shrinks by the same factor."""
    base = draw(st.lists(sizes, min_size=1, max_size=5))
    factors = sorted(
        draw(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=6)), reverse=True
    )
    gaps = draw(st.lists(st.integers(1, 120), min_size=len(factors), max_size=len(factors)))
    days = list(itertools.accumulate(gaps))
    return {
        f"L{i}": [(0, b)] + [(d, round(b * f, 3)) for d, f in zip(days, factors, strict=True)]
        for i, b in enumerate(base)
    }


@settings(max_examples=150, deadline=None)
@given(shrinking())
def test_uniform_shrink_never_gives_pd(series) -> None:
    result = recist.assess(record(series))
    assert "PD" not in responses(result)


@st.composite
def histories(draw):
    count = draw(st.integers(1, 4))
    scans = draw(st.integers(1, 5))
    days = list(
        itertools.accumulate(draw(st.lists(st.integers(20, 120), min_size=scans, max_size=scans)))
    )
    tgt = {
        f"L{i}": [(0, draw(sizes))]
        + [(d, draw(st.floats(0, 150).map(lambda v: round(v, 1)))) for d in days]
        for i in range(count)
    }
    status = st.sampled_from(
        ["present", "absent", "unequivocal_progression", "equivocal", "not_evaluated"]
    )
    non_tgt = (
        {"X": [(0, "present")] + [(d, draw(status)) for d in days]} if draw(st.booleans()) else {}
    )
    return tgt, non_tgt, days


@settings(max_examples=150, deadline=None)
@given(histories(), st.data())
def test_adding_a_new_lesion_never_improves_a_response(history, data) -> None:
    tgt, non_tgt, days = history
    seen_on = data.draw(st.sampled_from(days))
    before = responses(recist.assess(record(tgt, non_tgt)))
    after = responses(recist.assess(record(tgt, non_tgt, new={"N": [(seen_on, "present")]})))
    for old, new in zip(before, after, strict=True):
        assert ORDER[new] >= ORDER[old] or new == old
    assert after[days.index(seen_on)] == "PD"


@settings(max_examples=100, deadline=None)
@given(histories(), st.integers(-20000, 20000))
def test_shifting_all_dates_changes_nothing(history, shift) -> None:
    tgt, non_tgt, _ = history
    a = recist.assess(record(tgt, non_tgt)).to_dict()
    b = recist.assess(shifted(record(tgt, non_tgt), shift)).to_dict()

    def strip(doc):
        return [
            {k: v for k, v in t.items() if k != "date" and k != "reasons"}
            for t in doc["timepoints"]
        ] + [doc["best_overall_response"], doc["best_response_confirmed"]]

    assert strip(a) == strip(b)


@settings(max_examples=150, deadline=None)
@given(histories())
def test_pd_by_target_always_meets_both_thresholds(history) -> None:
    tgt, non_tgt, _ = history
    result = recist.assess(record(tgt, non_tgt))
    for point in result.timepoints:
        if point.target_response is R.PD and point.nadir_mm is not None:
            rise = point.target_sum_mm - point.nadir_mm
            assert rise >= 5 - 1e-9
            assert rise >= 0.2 * point.nadir_mm - 1e-9
