"""iRECIST (Seymour et al., Lancet Oncol 2017): every rule, table-driven, and properties.

Days count from the treatment start (:data:`START`, 2021-01-04); day 0 is baseline. Expected
values are worked out by hand from the rules and written next to each case.
"""

from __future__ import annotations

import doctest
import itertools
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.criteria import irecist, recist, registry
from pseudoprog.criteria.best_response import BestResponseParameters
from pseudoprog.criteria.codes import IRecistResponse
from pseudoprog.criteria.irecist import IRecistParameters
from pseudoprog.criteria.patient_result import PatientWarningKind
from pseudoprog.criteria.recist import RecistParameters
from pseudoprog.criteria.timepoints import build_timepoints
from pseudoprog.errors import ParameterError
from pseudoprog.io.patients import load_patients
from pseudoprog.patient import PatientRecord
from tests.criteria.patients import (
    START,
    codes,
    iso,
    on,
    shifted,
    with_lesion,
)
from tests.criteria.patients import record as patient

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "criteria-irecist.md"


def rules_at(result: Any, index: int) -> list[str]:
    return [r.code for r in result.timepoints[index].reasons]


def messages_at(result: Any, index: int) -> list[str]:
    return [r.message for r in result.timepoints[index].reasons]


def window_warnings(result: Any) -> list[str]:
    return [
        w.date.isoformat()
        for w in result.warnings
        if w.kind is PatientWarningKind.CONFIRMATION_OUT_OF_WINDOW
    ]


# ---- the rules, one case each --------------------------------------------------------------

FLAT = {0: 50, 56: 50, 98: 50}  # a target that does not change: SD throughout

CASES: list[tuple[str, dict[str, Any], list[str], str | None]] = [
    # (id, patient(...) arguments, expected responses, rule code that decides the last one)
    (
        # nadir 40 on day 56; 50 is +25% and +10 mm: iUPD; 55 is +5.0 mm since the iUPD
        "target-driven: +5 mm since iUPD confirms",
        {"targets": {"T1": {0: 50, 56: 40, 112: 50, 147: 55}}},
        ["iSD", "iUPD", "iCPD"],
        "icpd_target",
    ),
    (
        # 60 is +20% and +10 mm from 50; 64.9 is +4.9 mm since the iUPD: not enough
        "target-driven: +4.9 mm since iUPD stays iUPD",
        {"targets": {"T1": {0: 50, 56: 60, 98: 64.9}}},
        ["iUPD", "iUPD"],
        "iupd_unchanged",
    ),
    (
        "target-driven: +4 then +2 mm adds up to confirm",
        {"targets": {"T1": {0: 50, 56: 60, 91: 64, 126: 66}}},
        ["iUPD", "iUPD", "iCPD"],
        "icpd_target",
    ),
    (
        # 56 is +12% (+6 mm) from the nadir 50: short of 20%, so no longer PD
        "target decrease to below PD resets",
        {"targets": {"T1": {0: 50, 56: 60, 98: 56}}},
        ["iUPD", "iSD"],
        "reset",
    ),
    (
        # 66 is +32% from 50 (iUPD); 62 is still +24% and +12 mm from the nadir 50: PD, no rise
        "target decrease that is still PD stays iUPD",
        {"targets": {"T1": {0: 50, 56: 66, 98: 62}}},
        ["iUPD", "iUPD"],
        "iupd_unchanged",
    ),
    (
        "non-target-driven: unequivocal progression again confirms",
        {"targets": {"T1": FLAT}, "non_targets": {"NT1": {0: "present", 56: "up", 98: "up"}}},
        ["iUPD", "iCPD"],
        "icpd_non_target",
    ),
    (
        "non-target-driven: non-target back to present resets",
        {
            "targets": {"T1": FLAT},
            "non_targets": {"NT1": {0: "present", 56: "up", 98: "present"}},
        },
        ["iUPD", "iSD"],
        "reset",
    ),
    (
        "target-driven: non-target progression newly met confirms",
        {
            "targets": {"T1": {0: 50, 56: 60, 98: 61}},
            "non_targets": {"NT1": {0: "present", 56: "present", 98: "up"}},
        },
        ["iUPD", "iCPD"],
        "icpd_non_target_newly",
    ),
    (
        # the 8 mm new lesion drives the iUPD (targets 52: SD); 60 is +20% and +10 mm from 50
        "new-lesion-driven: target progression newly met confirms",
        {"targets": {"T1": {0: 50, 56: 52, 98: 60}}, "new": {"N1": {56: 8, 98: 8}}},
        ["iUPD", "iCPD"],
        "icpd_target_newly",
    ),
    (
        "new lesions: one more than at iUPD confirms",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: 12, 98: 12}, "N2": {98: 8}}},
        ["iUPD", "iCPD"],
        "icpd_new_lesion_count",
    ),
    (
        "new lesions: unchanged stays iUPD",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: 12, 98: 12}}},
        ["iUPD", "iUPD"],
        "iupd_unchanged",
    ),
    (
        "new lesions: NLT sum +5 mm confirms",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: 12, 98: 17}}},
        ["iUPD", "iCPD"],
        "icpd_new_lesion_target",
    ),
    (
        "new lesions: NLT sum +4 mm stays iUPD",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: 12, 98: 16}}},
        ["iUPD", "iUPD"],
        "iupd_unchanged",
    ),
    (
        # +3 mm and +2 mm on two NLTs in two organs: the sum rises 5 mm
        "new lesions: NLT sum over two lesions",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: 12, 98: 15}, "N2": {56: 10, 98: 12}}},
        ["iUPD", "iCPD"],
        "icpd_new_lesion_target",
    ),
    (
        "new lesions: NLT +3 then +2 mm adds up to confirm",
        {
            "targets": {"T1": {0: 50, 56: 50, 91: 50, 126: 50}},
            "new": {"N1": {56: 12, 91: 15, 126: 17}},
        },
        ["iUPD", "iUPD", "iCPD"],
        "icpd_new_lesion_target",
    ),
    (
        "new lesions: NLNT recorded as unequivocal progression confirms",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: "present", 98: "up"}}},
        ["iUPD", "iCPD"],
        "icpd_new_lesion_non_target",
    ),
    (
        # 6 mm is not measurable (< 10 mm): a non-target, where any increase confirms
        "new lesions: NLNT 6 -> 7 mm confirms",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: 6, 98: 7}}},
        ["iUPD", "iCPD"],
        "icpd_new_lesion_non_target",
    ),
    (
        # a third new lesion in the liver is a non-target: its +1 mm confirms
        "new lesions: third in one organ is a non-target",
        {
            "targets": {"T1": FLAT},
            "new": {"N1": {56: 12, 98: 12}, "N2": {56: 12, 98: 12}, "N3": {56: 12, 98: 13}},
            "organs": {"N1": "liver", "N2": "liver", "N3": "liver"},
        },
        ["iUPD", "iCPD"],
        "icpd_new_lesion_non_target",
    ),
    (
        # the same in three organs: three NLTs, whose sum rises 1 mm
        "new lesions: three in three organs are targets",
        {
            "targets": {"T1": FLAT},
            "new": {"N1": {56: 12, 98: 12}, "N2": {56: 12, 98: 12}, "N3": {56: 12, 98: 13}},
        },
        ["iUPD", "iUPD"],
        "iupd_unchanged",
    ),
    (
        "new lesions: a 12 mm node is not measurable (15 mm short axis)",
        {"targets": {"T1": FLAT}, "new": {"N1": {56: 12, 98: 13}}, "nodes": ["N1"]},
        ["iUPD", "iCPD"],
        "icpd_new_lesion_non_target",
    ),
    (
        "reset by iSD, then a second iUPD (against the nadir) confirmed",
        {"targets": {"T1": {0: 50, 56: 60, 98: 52, 140: 62, 175: 68}}},
        ["iUPD", "iSD", "iUPD", "iCPD"],
        "icpd_target",
    ),
    (
        # 34 is 32% below the baseline 50
        "reset by iPR",
        {"targets": {"T1": {0: 50, 56: 60, 98: 34}}},
        ["iUPD", "iPR"],
        "reset",
    ),
    (
        # 12 -> 18 is +50% and +6 mm
        "reset by iCR",
        {"targets": {"T1": {0: 12, 56: 18, 98: 0}}},
        ["iUPD", "iCR"],
        "reset",
    ),
    (
        "reset by iNN (non-target disease only)",
        {"non_targets": {"NT1": {0: "present", 56: "up", 98: "present"}}},
        ["iUPD", "iNN"],
        "reset",
    ),
    (
        # day 70 is 14 days after the iUPD: +10 mm, but too early; day 98 (42 days): +6 mm
        "confirmation scan too early (< 28 days) does not confirm",
        {"targets": {"T1": {0: 50, 56: 60, 70: 70, 98: 66}}},
        ["iUPD", "iUPD", "iCPD"],
        "icpd_target",
    ),
    (
        "27 days after iUPD is too early",
        {"targets": {"T1": {0: 50, 56: 60, 83: 70}}},
        ["iUPD", "iUPD"],
        "iupd_too_early",
    ),
    (
        "28 days after iUPD confirms",
        {"targets": {"T1": {0: 50, 56: 60, 84: 70}}},
        ["iUPD", "iCPD"],
        "icpd_target",
    ),
    (
        "confirmation out of window (70 days) is used",
        {"targets": {"T1": {0: 50, 56: 60, 126: 66}}},
        ["iUPD", "iCPD"],
        "icpd_target",
    ),
    (
        # day 98: T2 not assessed, T1 alone (40) is no PD: NE, the iUPD stays open
        "NE keeps the iUPD open",
        {"targets": {"T1": {0: 30, 56: 40, 98: 40, 140: 46}, "T2": {0: 20, 56: 20, 140: 20}}},
        ["iUPD", "NE", "iCPD"],
        "icpd_target",
    ),
    (
        "after iCPD every assessment is iCPD",
        {"targets": {"T1": {0: 50, 56: 60, 98: 66, 140: 40}}},
        ["iUPD", "iCPD", "iCPD"],
        "icpd_stays",
    ),
    (
        "before any progression: RECIST 1.1 with an i prefix",
        {"targets": {"T1": {0: 50, 56: 34, 98: 40}}},
        ["iPR", "iSD"],
        "recist",
    ),
]


@pytest.mark.parametrize(
    ("spec", "expected", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rules(spec: dict[str, Any], expected: list[str], rule: str | None) -> None:
    result = irecist.assess(patient(**spec))
    assert codes(result) == expected
    assert rule in rules_at(result, -1)
    if "iCPD" in expected:
        first = expected.index("iCPD")
        assert "iUPD" in expected[:first]


def test_target_confirmation_quotes_the_numbers() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 40, 112: 50, 147: 55}}))
    assert (
        f"iCPD: target sum 55.0 mm, +5.0 mm since iUPD on {iso(112)} (≥ 5 mm confirms)"
        in messages_at(result, 2)
    )
    assert f"iCPD: progression confirmed 35 days after iUPD on {iso(112)}" in " ".join(
        messages_at(result, 2)
    )


def test_additive_rise_is_counted_from_the_first_iupd() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 60, 91: 64, 126: 66}}))
    assert (
        f"iUPD: still RECIST 1.1 progression, no further increase since iUPD on {iso(56)} "
        "(target sum 64.0 mm, +4.0 mm (< 5 mm)): stays unconfirmed"
    ) in messages_at(result, 1)
    assert f"iCPD: target sum 66.0 mm, +6.0 mm since iUPD on {iso(56)} (≥ 5 mm confirms)" in (
        messages_at(result, 2)
    )


def test_rise_counts_from_the_lowest_sum_since_the_iupd() -> None:
    # 66 is +32% from 50 (iUPD); 62 is lower but still PD (unchanged); 67 is +5 mm from 62
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 66, 98: 62, 140: 67}}))
    assert codes(result) == ["iUPD", "iUPD", "iCPD"]
    assert (
        f"iCPD: target sum 67.0 mm, +5.0 mm since 62.0 mm on {iso(98)}, the lowest since iUPD "
        f"on {iso(56)} (≥ 5 mm confirms)"
    ) in messages_at(result, 2)


def test_new_lesion_target_sum_quotes_the_numbers() -> None:
    result = irecist.assess(patient(targets={"T1": FLAT}, new={"N1": {56: 12, 98: 17}}))
    assert (
        f"iCPD: new-lesion target sum 17.0 mm (N1), +5.0 mm since iUPD on {iso(56)} "
        "(≥ 5 mm confirms)" in messages_at(result, 1)
    )


def test_second_iupd_is_measured_against_the_nadir_and_confirmed_from_itself() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 60, 98: 52, 140: 62, 175: 68}}))
    # the nadir stays 50 (the baseline): 62 is +24% and +12 mm; 68 is +6 mm since 62
    assert result.timepoints[2].nadir_mm == 50.0
    assert result.timepoints[2].change_from_nadir_pct == pytest.approx(24.0)
    assert f"iCPD: target sum 68.0 mm, +6.0 mm since iUPD on {iso(140)} (≥ 5 mm confirms)" in (
        messages_at(result, 3)
    )


def test_new_lesions_are_never_added_to_the_target_sum() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 50}}, new={"N1": {56: 30}}))
    (point,) = result.timepoints
    assert point.target_sum_mm == 50.0
    assert point.target_response is IRecistResponse.ISD
    assert point.response is IRecistResponse.IUPD
    assert "new_lesions" in [r.code for r in point.reasons]


def test_new_lesion_categories() -> None:
    rec = patient(
        targets={"T1": FLAT},
        new={
            "A": {56: 12},  # liver, first: target
            "B": {56: 30},  # liver, second: target
            "C": {56: 40},  # liver, third: non-target (2 per organ)
            "D": {56: 9},  # not measurable: non-target
            "E": {56: 20},  # node of 20 mm short axis: target
            "F": {56: "present"},  # no size: non-target
            "G": {98: 11},  # lung: target
            "H": {98: 25},  # bone: target (the fifth)
            "J": {98: 25},  # adrenal: non-target (five already)
            "K": {56: "equivocal", 98: 15},  # first seen unequivocally on day 98, after J
        },
        nodes=["E"],
        organs={"A": "liver", "B": "liver", "C": "liver", "G": "lung", "H": "bone"},
    )
    _, points = build_timepoints(rec)
    found = irecist.new_lesion_categories(rec, points, IRecistParameters())
    assert found.targets == ("A", "B", "E", "G", "H")
    assert found.non_targets == ("C", "D", "F", "J", "K")


def test_equivocal_new_lesion_is_not_progression_until_unequivocal() -> None:
    rec = patient(targets={"T1": {0: 50, 56: 50, 98: 50}}, new={"N1": {56: "equivocal", 98: 12}})
    result = irecist.assess(rec)
    assert codes(result) == ["iSD", "iUPD"]
    assert PatientWarningKind.EQUIVOCAL_NEW_LESION in [w.kind for w in result.warnings]


# ---- the confirmation window and what is pending -----------------------------------------


def test_too_early_scan_warns_and_does_not_move_the_window() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 60, 70: 70, 98: 66}}))
    assert window_warnings(result) == [iso(70)]
    (warning,) = [w for w in result.warnings if w.date == on(70)]
    assert warning.message == (
        f"{iso(70)}: 14 days after iUPD on {iso(56)}, before the 28-56-day window: it cannot "
        f"confirm the progression it shows; a scan from {iso(84)} on can"
    )
    assert "iupd_too_early" in rules_at(result, 1)
    assert "icpd_target" in rules_at(result, 2)


def test_late_confirmation_is_used_with_a_warning() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 60, 126: 66}}))
    assert codes(result) == ["iUPD", "iCPD"]
    (warning,) = result.warnings
    assert warning.kind is PatientWarningKind.CONFIRMATION_OUT_OF_WINDOW
    assert warning.code == "confirmation_out_of_window"
    assert warning.message == (
        f"{iso(126)}: the assessment after iUPD on {iso(56)} came 70 days later, after the "
        "28-56-day window; used all the same"
    )


def test_in_window_confirmation_has_no_warning() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 60, 84: 66}}))
    assert window_warnings(result) == []


def test_as_of_before_confirmation_leaves_a_pending_iupd() -> None:
    rec = patient(targets={"T1": {0: 50, 56: 40, 112: 50, 147: 55}})
    result = irecist.assess(rec, as_of=on(120))
    assert codes(result) == ["iSD", "iUPD"]
    (pending,) = result.pending
    # iUPD on day 112 (2021-04-26): due from day 140 (2021-05-24) to day 168 (2021-06-21)
    assert (pending.since, pending.due_from, pending.due_by) == (on(112), on(140), on(168))
    assert pending.message == (
        "iUPD on 2021-04-26 awaiting confirmation: next scan due between 2021-05-24 and 2021-06-21"
    )
    assert pending.to_dict()["due_by"] == "2021-06-21"
    assert "pending: iUPD on 2021-04-26 awaiting confirmation" in result.summary()
    assert irecist.assess(rec).pending == ()


def test_pending_says_when_overdue() -> None:
    rec = patient(targets={"T1": {0: 50, 56: 60}})
    assert (
        irecist.assess(rec, as_of=on(200))
        .pending[0]
        .message.endswith(f"; overdue as of {iso(200)}")
    )


def test_unchanged_iupd_in_window_opens_the_next_window() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50, 56: 60, 98: 60}}))
    (pending,) = result.pending
    assert (pending.since, pending.due_from, pending.due_by) == (on(56), on(126), on(154))
    assert pending.message.startswith(f"iUPD on {iso(98)} (first on {iso(56)}) awaiting")


def test_window_parameters_apply() -> None:
    params = IRecistParameters(iupd_confirmation_min_days=42, iupd_confirmation_max_days=84)
    rec = patient(targets={"T1": {0: 50, 56: 60, 90: 70, 126: 70}})
    # day 90 is 34 days after the iUPD: too early with a 42-day minimum; day 126 (70 days) is not
    assert codes(irecist.assess(rec, params=params)) == ["iUPD", "iUPD", "iCPD"]
    assert codes(irecist.assess(rec)) == ["iUPD", "iCPD", "iCPD"]


def test_increase_parameters_apply() -> None:
    rec = patient(targets={"T1": {0: 50, 56: 60, 98: 63}}, new={"N1": {56: 12, 98: 15}})
    assert codes(irecist.assess(rec)) == ["iUPD", "iUPD"]
    loose = IRecistParameters(icpd_target_increase_mm=3.0)
    assert "icpd_target" in rules_at(irecist.assess(rec, params=loose), 1)
    loose_new = IRecistParameters(icpd_new_target_increase_mm=3.0)
    assert "icpd_new_lesion_target" in rules_at(irecist.assess(rec, params=loose_new), 1)


# ---- best overall response (iBOR) ----------------------------------------------------------

BOR_CASES = [
    # Seymour 2017 Table 3, and the admiralonco iRECIST vignette's order
    ("iUPD then iSD gives iSD", {0: 50, 56: 60, 98: 52}, "iSD", 98),
    ("iUPD then iPR gives iPR", {0: 50, 56: 60, 98: 34}, "iPR", 98),
    ("iUPD then iCR gives iCR", {0: 12, 56: 18, 98: 0}, "iCR", 98),
    ("iUPD then iCPD gives iCPD", {0: 50, 56: 60, 98: 66}, "iCPD", 56),
    ("iUPD, iUPD, iCPD gives iCPD", {0: 50, 56: 60, 91: 64, 126: 66}, "iCPD", 56),
    ("iCR, iUPD, iCPD gives iCR", {0: 12, 56: 0, 98: 6, 140: 12}, "iCR", 56),
    ("iSD, iUPD, iCPD gives iSD", {0: 50, 56: 40, 112: 50, 147: 55}, "iSD", 56),
    ("an open iUPD gives iUPD", {0: 50, 56: 60}, "iUPD", 56),
    # reset iUPD then iSD before the 42-day SD minimum: NE (admiralonco: iUPD only when open)
    ("reset iUPD then early iSD gives NE", {0: 50, 20: 60, 30: 52}, "NE", 30),
]


@pytest.mark.parametrize(
    ("course", "expected", "day"), [c[1:] for c in BOR_CASES], ids=[c[0] for c in BOR_CASES]
)
def test_best_overall_response(course: dict[int, float], expected: str, day: int) -> None:
    result = irecist.assess(patient(targets={"T1": course}))
    assert result.best_overall_response is not None
    assert result.best_overall_response.value == expected
    assert result.best_response_date == on(day)


def test_iupd_then_ne_then_ne_gives_iupd() -> None:
    rec = patient(targets={"T1": {0: 30, 56: 40, 98: 40, 140: 40}, "T2": {0: 20, 56: 20}})
    result = irecist.assess(rec)
    assert codes(result) == ["iUPD", "NE", "NE"]
    assert result.best_overall_response is IRecistResponse.IUPD
    assert result.best_response_date == on(56)
    assert result.best_response_reasons[0].code == "best_response"


def test_confirmation_does_not_reach_across_an_iupd() -> None:
    # 30 is 40% below 50 (iPR); 37 is +23% and +7 mm from the nadir 30 (iUPD); 30 again is iPR
    rec = patient(targets={"T1": {0: 50, 56: 30, 98: 37, 140: 30}})
    assert codes(irecist.assess(rec)) == ["iPR", "iUPD", "iPR"]
    confirmed = IRecistParameters(
        recist=RecistParameters(best_response=BestResponseParameters(confirmation_required=True))
    )
    result = irecist.assess(rec, params=confirmed)
    # each iPR alone is unconfirmed, read as SD (day 56 is past the 42-day minimum)
    assert result.best_overall_response is IRecistResponse.ISD
    assert result.best_response_date == on(56)
    assert result.best_response_confirmed is False
    plain = irecist.assess(rec)
    assert plain.best_overall_response is IRecistResponse.IPR


def test_confirmed_response_within_a_stretch() -> None:
    rec = patient(targets={"T1": {0: 50, 56: 30, 98: 30, 140: 37}})
    result = irecist.assess(
        rec, params=IRecistParameters.from_mapping({"confirmation_required": True})
    )
    assert codes(result) == ["iPR", "iPR", "iUPD"]
    assert result.best_overall_response is IRecistResponse.IPR
    assert result.best_response_confirmed is True


def test_no_assessment_has_no_best_response() -> None:
    result = irecist.assess(patient(targets={"T1": {0: 50}}))
    assert result.timepoints == ()
    assert result.best_overall_response is None
    assert PatientWarningKind.NO_FOLLOW_UP in [w.kind for w in result.warnings]


# ---- parameters ----------------------------------------------------------------------------


def test_parameters_are_flat_and_round_trip() -> None:
    params = IRecistParameters.from_mapping(
        {
            "criteria": "irecist",
            "iupd_confirmation_max_days": 63,
            "pd_increase_pct": 25.0,
            "confirmation_required": True,
        }
    )
    flat = params.to_dict()
    assert flat["criteria"] == "irecist"
    assert not any(isinstance(v, dict) for v in flat.values())
    assert flat["iupd_confirmation_min_days"] == 28
    assert flat["iupd_confirmation_max_days"] == 63
    assert flat["icpd_target_increase_mm"] == 5.0
    assert flat["icpd_new_target_increase_mm"] == 5.0
    assert (flat["max_new_targets"], flat["max_new_targets_per_organ"]) == (5, 2)
    assert flat["pd_increase_pct"] == 25.0
    assert flat["confirmation_required"] is True
    assert flat["confirmation_min_days"] == 28  # the best-response rule, not the iUPD window
    assert IRecistParameters.from_mapping(flat) == params
    assert params.recist.pd_increase_pct == 25.0
    assert params.best_response.confirmation_required is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"iupd_window": 3}, "unknown parameter 'iupd_window' for IRecistParameters; known"),
        ({"iupd_confirmation_min_days": -1}, "iupd_confirmation_min_days must not be negative"),
        ({"iupd_confirmation_min_days": 2.5}, "iupd_confirmation_min_days must be a whole number"),
        ({"max_new_targets": True}, "max_new_targets must be a whole number"),
        ({"icpd_target_increase_mm": 0}, "icpd_target_increase_mm must be positive"),
        ({"icpd_new_target_increase_mm": "5"}, "icpd_new_target_increase_mm must be a number"),
        (
            {"iupd_confirmation_min_days": 60},
            r"iupd_confirmation_max_days \(56\) must not be below iupd_confirmation_min_days",
        ),
        ({"pd_increase_pct": -1}, "pd_increase_pct must be positive"),
    ],
)
def test_bad_parameters(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        IRecistParameters.from_mapping(values)


def test_unknown_parameter_lists_every_known_one() -> None:
    with pytest.raises(ParameterError) as caught:
        IRecistParameters.from_mapping({"nope": 1})
    for name in ("iupd_confirmation_min_days", "measurable_min_mm", "sd_min_days"):
        assert name in str(caught.value)


def test_registry_serves_the_engine() -> None:
    entry = registry.get("irecist")
    assert entry.assess is irecist.assess
    described = {p.name: p for p in entry.parameters()}
    assert described["iupd_confirmation_min_days"].default == 28
    assert "4-8 weeks" in described["iupd_confirmation_min_days"].description
    assert described["max_new_targets_per_organ"].default == 2
    assert described["sd_min_days"].description
    made = entry.make_parameters({"icpd_target_increase_mm": 4})
    assert made.icpd_target_increase_mm == 4


def test_result_records_the_parameters() -> None:
    params = IRecistParameters(max_new_targets=3)
    result = irecist.assess(patient(targets={"T1": FLAT}), params=params)
    assert result.criteria == "irecist"
    assert result.parameters.to_dict()["max_new_targets"] == 3


def test_docstring_examples() -> None:
    outcome = doctest.testmod(irecist, optionflags=doctest.ELLIPSIS)
    assert outcome.failed == 0
    assert outcome.attempted >= 4


# ---- the worked example of docs/criteria-irecist.md ---------------------------------------

BLOCK = re.compile(r"```(\w+) worked-example irecist(?: (\w+))?\n(.*?)```", re.S)


def test_worked_example(tmp_path: Path) -> None:
    blocks = {(kind, name or ""): text for kind, name, text in BLOCK.findall(DOC.read_text())}
    (tmp_path / "lesions.csv").write_text(blocks[("csv", "lesions")])
    (tmp_path / "measurements.csv").write_text(blocks[("csv", "measurements")])
    cohort = load_patients(
        lesions=tmp_path / "lesions.csv", measurements=tmp_path / "measurements.csv"
    )
    (record,) = cohort.records
    result = irecist.assess(record)
    lines = blocks[("text", "")].strip().splitlines()
    rows = [line.split() for line in lines[1:-1]]
    assert len(rows) == len(result.timepoints)
    for row, point in zip(rows, result.timepoints, strict=True):
        day, total, nadir, nlt, response = row
        assert day == point.date.isoformat()
        assert float(total) == pytest.approx(point.target_sum_mm)
        assert float(nadir) == pytest.approx(point.change_from_nadir_pct, abs=0.051)
        assert response == point.response.value
        shown = [r.message for r in point.reasons if r.code == "new_lesions"]
        if nlt == "-":
            assert shown == []
        else:
            assert f"(sum {float(nlt):.1f} mm)" in shown[0]
    assert lines[-1] == f"best: {result.best_overall_response.value}"
    quoted = re.findall(r"^> (iCPD: .*)$", DOC.read_text(), re.M)
    assert quoted
    every = [r.message for t in result.timepoints for r in t.reasons]
    for line in quoted:
        assert line in every


def test_worked_example_variant_resets() -> None:
    # the doc: targets 40 + 28 = 68 mm on 2021-05-31 (+7.9% from the nadir 63), no new lesion
    rec = patient(
        targets={
            "L1": {0: 40, 56: 36, 112: 42, 147: 40},
            "L2": {0: 30, 56: 27, 112: 34, 147: 28},
        },
        new={"N1": {112: 12, 147: "absent"}},
    )
    result = irecist.assess(rec)
    assert codes(result) == ["iSD", "iUPD", "iSD"]
    assert result.timepoints[2].change_from_nadir_pct == pytest.approx(7.94, abs=0.01)
    assert "reset" in rules_at(result, 2)


def test_doc_lists_every_parameter_with_its_default() -> None:
    text = DOC.read_text()
    for name, value in IRecistParameters().to_dict().items():
        if name == "criteria" or name in RecistParameters().to_dict():
            continue
        assert re.search(rf"`{name}` \| {value:g} \|", text), name


# ---- properties (hypothesis) ---------------------------------------------------------------

NT_STATUS = ["present", "present", "absent", "up", "equivocal", "not_evaluated"]
NEW_VALUE = st.one_of(
    st.integers(3, 40).map(float),
    st.sampled_from(["present", "absent", "up", "equivocal"]),
)
SIZE = st.integers(0, 1200).map(lambda x: x / 10)


@st.composite
def assessment_days(draw: st.DrawFn) -> list[int]:
    gaps = draw(st.lists(st.integers(7, 80), min_size=1, max_size=6))
    return list(itertools.accumulate(gaps))


@st.composite
def records(draw: st.DrawFn, *, new_lesions: bool = True) -> PatientRecord:
    """A patient whose first target is measured at every assessment (so every day counts)."""
    days = draw(assessment_days())
    targets = {}
    for k in range(draw(st.integers(1, 3))):
        course: dict[int, float | str] = {0: float(draw(st.integers(10, 80)))}
        for d in days:
            value = draw(SIZE) if k == 0 else draw(st.one_of(SIZE, SIZE, st.none()))
            if value is not None:
                course[d] = value
        targets[f"T{k + 1}"] = course
    non_targets = {}
    for k in range(draw(st.integers(0, 2))):
        course = {0: "present"}
        for d in days:
            status = draw(st.one_of(st.sampled_from(NT_STATUS), st.none()))
            if status is not None:
                course[d] = status
        non_targets[f"NT{k + 1}"] = course
    new = {}
    organs = {}
    for k in range(draw(st.integers(0, 3)) if new_lesions else 0):
        first = draw(st.integers(0, len(days) - 1))
        course = {
            d: draw(NEW_VALUE) for d in days[first:] if draw(st.booleans()) or d == days[first]
        }
        new[f"N{k + 1}"] = course
        organs[f"N{k + 1}"] = draw(st.sampled_from(["liver", "lung"]))
    return patient(targets, non_targets, new, organs=organs)


RANK = {"iCR": 0, "iPR": 1, "iSD": 2, "iNN": 2, "NE": 3, "iUPD": 4, "iCPD": 5}
RESETS = {"iCR", "iPR", "iSD", "iNN"}


@settings(max_examples=300, deadline=None)
@given(records())
def test_icpd_never_without_a_preceding_iupd_in_the_same_block(rec: PatientRecord) -> None:
    found = codes(irecist.assess(rec))
    if "iCPD" not in found:
        return
    first = found.index("iCPD")
    assert all(code == "iCPD" for code in found[first:])
    block: list[str] = []
    for code in found[:first]:
        block = [] if code in RESETS else [*block, code]
    assert "iUPD" in block
    assert set(block) <= {"iUPD", "NE"}


@settings(max_examples=150, deadline=None)
@given(records(), st.integers(-3000, 3000))
def test_shifting_every_date_changes_nothing(rec: PatientRecord, days: int) -> None:
    move = timedelta(days=days)
    before = irecist.assess(rec)
    after = irecist.assess(shifted(rec, days))
    assert codes(after) == codes(before)
    assert [t.date for t in after.timepoints] == [t.date + move for t in before.timepoints]
    assert [t.target_sum_mm for t in after.timepoints] == [
        t.target_sum_mm for t in before.timepoints
    ]
    assert [(r.code, r.message.count("iUPD")) for t in after.timepoints for r in t.reasons] == [
        (r.code, r.message.count("iUPD")) for t in before.timepoints for r in t.reasons
    ]
    assert after.best_overall_response == before.best_overall_response
    assert (after.best_response_date is None) == (before.best_response_date is None)
    if before.best_response_date is not None:
        assert after.best_response_date == before.best_response_date + move
    assert [(p.since, p.due_from, p.due_by) for p in after.pending] == [
        (p.since + move, p.due_from + move, p.due_by + move)  # type: ignore[operator]
        for p in before.pending
    ]
    assert [w.kind for w in after.warnings] == [w.kind for w in before.warnings]


@st.composite
def shrinking(draw: st.DrawFn) -> PatientRecord:
    """Every target shrinks by one common factor, never growing back; no new lesions."""
    days = draw(assessment_days())
    factors = sorted((draw(st.floats(0.0, 1.0)) for _ in days), reverse=True)
    baselines = draw(st.lists(st.integers(10, 80), min_size=1, max_size=4))
    targets: dict[str, dict[int, float | str]] = {
        f"T{k + 1}": {0: float(b), **{d: b * f for d, f in zip(days, factors, strict=True)}}
        for k, b in enumerate(baselines)
    }
    statuses = ["present", "absent", "equivocal", "not_evaluated"]
    non_targets: dict[str, dict[int, float | str]] = {
        f"NT{k + 1}": {0: "present", **{d: draw(st.sampled_from(statuses)) for d in days}}
        for k in range(draw(st.integers(0, 2)))
    }
    nodes = [k for k in targets if draw(st.booleans())]
    return patient(targets, non_targets, nodes=nodes)


@settings(max_examples=200, deadline=None)
@given(shrinking())
def test_uniform_shrink_never_progresses(rec: PatientRecord) -> None:
    found = codes(irecist.assess(rec))
    assert "iUPD" not in found
    assert "iCPD" not in found


@st.composite
def added_lesion(draw: st.DrawFn) -> tuple[PatientRecord, PatientRecord]:
    """A patient, and the same patient with one more new lesion that never shrinks.

    Never shrinking, because iRECIST sums the new-lesion targets: a shrinking one could offset
    another's growth and so delay a confirmation, as the guideline intends.
    """
    rec = draw(records())
    days = sorted({t.date for t in irecist.assess(rec).timepoints})
    offsets = [(d - START).days for d in days]
    first = draw(st.integers(0, len(offsets) - 1))
    last = draw(st.integers(first, len(offsets) - 1))
    seen = offsets[first : last + 1]
    if draw(st.booleans()):
        sizes = sorted(draw(st.lists(st.integers(3, 40), min_size=len(seen), max_size=len(seen))))
        course: dict[int, float | str] = {d: float(s) for d, s in zip(seen, sizes, strict=True)}
    else:
        course = dict.fromkeys(seen, "present")
    organ = draw(st.sampled_from(["liver", "lung"]))
    return rec, with_lesion(rec, "NEW", course, organ=organ)


@settings(max_examples=300, deadline=None)
@given(added_lesion())
def test_adding_a_new_lesion_never_improves_a_timepoint(
    pair: tuple[PatientRecord, PatientRecord],
) -> None:
    without, with_new = (irecist.assess(r) for r in pair)
    assert [t.date for t in with_new.timepoints] == [t.date for t in without.timepoints]
    for before, after in zip(codes(without), codes(with_new), strict=True):
        assert RANK[after] >= RANK[before], (codes(without), codes(with_new))


@settings(max_examples=300, deadline=None)
@given(records())
def test_before_the_first_progression_it_is_recist_with_an_i_prefix(rec: PatientRecord) -> None:
    mine = irecist.assess(rec)
    theirs = recist.assess(rec, params=RecistParameters())
    assert [t.date for t in mine.timepoints] == [t.date for t in theirs.timepoints]
    for own, other in zip(mine.timepoints, theirs.timepoints, strict=True):
        if other.response.value == "PD":
            assert own.response is IRecistResponse.IUPD
            break
        assert own.response is IRecistResponse.from_recist(other.response)  # type: ignore[arg-type]
        assert own.target_sum_mm == other.target_sum_mm


@settings(max_examples=150, deadline=None)
@given(records(), st.data())
def test_as_of_sees_no_later_scan(rec: PatientRecord, data: st.DataObject) -> None:
    full = irecist.assess(rec)
    cut = data.draw(st.integers(0, len(full.timepoints) - 1))
    early = irecist.assess(rec, as_of=full.timepoints[cut].date)
    assert codes(early) == codes(full)[: cut + 1]
    if early.timepoints[-1].response is IRecistResponse.IUPD:
        assert len(early.pending) == 1
