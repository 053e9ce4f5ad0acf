"""Best overall response: every rule, table-driven, then properties and a cross-check.

Each case is a course of ``(day, response)`` pairs, days counted from the treatment start.
"""

from __future__ import annotations

import doctest
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import pseudoprog.criteria.best_response as module
from pseudoprog.criteria.best_response import (
    AssessedResponse,
    BestResponse,
    BestResponseParameters,
    best_overall_response,
)
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.errors import ParameterError

START = date(2021, 1, 4)
CONFIRM = {"confirmation_required": True}
#: admiralonco's derivation: ND breaks a confirmation, and SD or PR after a CR is not PD.
ADMIRALONCO = {"confirmation_required": True, "nd_as_ne": False, "disease_after_cr_as_pd": False}
ORDER = ["CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE"]

Course = Sequence[tuple[int, str]]


def on(day: int) -> date:
    return START + timedelta(days=day)


def course(pairs: Course) -> list[AssessedResponse]:
    return [AssessedResponse(on(d), OverallResponse.parse(code)) for d, code in pairs]


def run(pairs: Course, progression_day: int | None = None, **params: Any) -> BestResponse:
    return best_overall_response(
        course(pairs),
        treatment_start=START,
        params=BestResponseParameters(**params),
        progression_date=None if progression_day is None else on(progression_day),
    )


def outcome(result: BestResponse) -> tuple[str | None, int | None, bool | None]:
    bor = result.best_overall_response
    day = None if result.date is None else (result.date - START).days
    return (None if bor is None else bor.value, day, result.confirmed)


# ---- RECIST 1.1 Table 3 (confirmation required) -------------------------------------------
# First assessment on day 56 and the next 28 days later (SD minimum of 42 days met), or on day
# 10 and day 38 (not met by either). "SD" is the RECIST answer "SD provided minimum criteria
# for SD duration met", "PD"/"NE" its "otherwise".

TABLE_3 = [
    # first, second, minimum met, expected (BOR, day), confirmed
    ("CR", "CR", True, ("CR", 56), True),
    ("CR", "CR", False, ("CR", 10), True),
    ("CR", "PR", True, ("SD", 56), False),  # "SD, PD or PR": the PR after CR is PD
    ("CR", "PR", False, ("PD", 38), False),
    ("CR", "SD", True, ("SD", 56), False),
    ("CR", "SD", False, ("PD", 38), False),  # otherwise PD
    ("CR", "PD", True, ("SD", 56), False),
    ("CR", "PD", False, ("PD", 38), False),
    ("CR", "NE", True, ("SD", 56), False),
    ("CR", "NE", False, ("NE", 10), False),  # otherwise NE
    ("PR", "CR", True, ("PR", 56), True),
    ("PR", "CR", False, ("PR", 10), True),
    ("PR", "PR", True, ("PR", 56), True),
    ("PR", "PR", False, ("PR", 10), True),
    ("PR", "SD", True, ("SD", 56), False),
    ("PR", "SD", False, ("NE", 10), False),  # neither meets the SD minimum
    ("PR", "PD", True, ("SD", 56), False),
    ("PR", "PD", False, ("PD", 38), False),  # otherwise PD
    ("PR", "NE", True, ("SD", 56), False),
    ("PR", "NE", False, ("NE", 10), False),  # otherwise NE
    ("NE", "NE", True, ("NE", 56), False),
    ("NE", "NE", False, ("NE", 10), False),
]


@pytest.mark.parametrize(
    ("first", "second", "met", "expected", "confirmed"),
    TABLE_3,
    ids=[f"{a}-{b}-{'met' if m else 'early'}" for a, b, m, _, _ in TABLE_3],
)
def test_recist_table_3(
    first: str, second: str, met: bool, expected: tuple[str, int], confirmed: bool
) -> None:
    days = (56, 84) if met else (10, 38)
    result = run([(days[0], first), (days[1], second)], **CONFIRM)
    assert outcome(result) == (*expected, confirmed)


@pytest.mark.parametrize(
    ("first", "second", "met", "expected"),
    [
        ("CR", "SD", False, ("NE", 10)),
        ("CR", "SD", True, ("SD", 56)),
        ("CR", "PR", False, ("NE", 10)),
        ("CR", "PR", True, ("SD", 56)),
    ],
)
def test_disease_after_cr_as_admiralonco(
    first: str, second: str, met: bool, expected: tuple[str, int]
) -> None:
    """With ``disease_after_cr_as_pd=False``: an unconfirmed CR is SD or NE (admiralonco)."""
    days = (56, 84) if met else (10, 38)
    result = run([(days[0], first), (days[1], second)], **ADMIRALONCO)
    assert outcome(result) == (*expected, False)


# ---- every rule ---------------------------------------------------------------------------

RULES: list[tuple[str, Course, dict[str, Any], tuple[str | None, int | None, bool | None]]] = [
    # confirmation interval
    ("interval 28 days", [(56, "PR"), (84, "PR")], CONFIRM, ("PR", 56, True)),
    ("interval 27 days", [(56, "PR"), (83, "PR")], CONFIRM, ("SD", 56, False)),
    ("CR interval 28 days", [(56, "CR"), (84, "CR")], CONFIRM, ("CR", 56, True)),
    ("CR interval 27 days", [(56, "CR"), (83, "CR")], CONFIRM, ("SD", 56, False)),
    (
        "interval 35 days when asked",
        [(56, "PR"), (84, "PR"), (91, "PR")],
        {**CONFIRM, "confirmation_min_days": 35},
        ("PR", 56, True),
    ),
    # NE between
    ("one NE between", [(56, "CR"), (70, "NE"), (91, "CR")], CONFIRM, ("CR", 56, True)),
    (
        "two NE, one allowed",
        [(56, "CR"), (70, "NE"), (77, "NE"), (91, "CR")],
        CONFIRM,
        ("SD", 56, False),
    ),
    (
        "two NE, two allowed",
        [(56, "CR"), (70, "NE"), (77, "NE"), (91, "CR")],
        {**CONFIRM, "max_ne_between": 2},
        ("CR", 56, True),
    ),
    (
        "PR, two NE, two allowed",
        [(56, "PR"), (70, "NE"), (77, "NE"), (91, "PR")],
        {**CONFIRM, "max_ne_between": 2},
        ("PR", 56, True),
    ),
    (
        "no NE allowed",
        [(56, "PR"), (70, "NE"), (91, "PR")],
        {**CONFIRM, "max_ne_between": 0},
        ("SD", 56, False),
    ),
    # SD between
    ("SD between PR, refused", [(56, "PR"), (70, "SD"), (91, "PR")], CONFIRM, ("SD", 56, False)),
    (
        "SD between PR, accepted",
        [(56, "PR"), (70, "SD"), (91, "PR")],
        {**CONFIRM, "accept_sd_between": True},
        ("PR", 56, True),
    ),
    (
        "two SD between PR, one accepted",
        [(56, "PR"), (70, "SD"), (77, "SD"), (91, "PR")],
        {**CONFIRM, "accept_sd_between": True},
        ("SD", 56, False),
    ),
    (
        "SD between CR is never accepted",
        [(56, "CR"), (70, "SD"), (91, "CR")],
        {**ADMIRALONCO, "accept_sd_between": True},
        ("SD", 56, False),
    ),
    # PR then CR then PR
    ("PR-CR-PR, CR too soon", [(56, "PR"), (70, "CR"), (91, "PR")], CONFIRM, ("SD", 56, False)),
    (
        "PR-CR-PR, CR too soon (admiralonco)",
        [(56, "PR"), (70, "CR"), (91, "PR")],
        ADMIRALONCO,
        ("SD", 56, False),
    ),
    (
        "PR-CR-PR, CR confirms",
        [(56, "PR"), (84, "CR"), (112, "PR")],
        CONFIRM,
        ("PR", 56, True),
    ),
    ("PR-CR-CR", [(56, "PR"), (84, "CR"), (112, "CR")], CONFIRM, ("CR", 84, True)),
    ("PR-PR-CR", [(56, "PR"), (70, "PR"), (91, "CR")], CONFIRM, ("PR", 56, True)),
    # first confirmed response is the date
    (
        "later PR confirmed",
        [(56, "PR"), (70, "SD"), (91, "PR"), (119, "PR")],
        CONFIRM,
        ("PR", 91, True),
    ),
    # NON_CR_NON_PD only
    (
        "NON-CR/NON-PD late",
        [(21, "NON-CR/NON-PD"), (56, "NON-CR/NON-PD")],
        {},
        ("NON_CR_NON_PD", 56, None),
    ),
    ("NON-CR/NON-PD early", [(21, "NON-CR/NON-PD")], {}, ("NE", 21, None)),
    ("NON-CR/NON-PD then PD", [(56, "NN"), (90, "PD")], CONFIRM, ("NON_CR_NON_PD", 56, False)),
    ("NON-CR/NON-PD early then PD", [(21, "NN"), (50, "PD")], {}, ("PD", 50, None)),
    ("SD beats NON-CR/NON-PD", [(56, "NN"), (84, "SD")], {}, ("SD", 84, None)),
    # ND
    ("ND only", [(50, "ND"), (90, "ND")], {}, ("NE", 50, None)),
    ("ND only, confirmation", [(50, "ND")], CONFIRM, ("NE", 50, False)),
    ("ND between counts as NE", [(56, "CR"), (70, "ND"), (91, "CR")], CONFIRM, ("CR", 56, True)),
    (
        "ND between breaks (admiralonco)",
        [(56, "CR"), (70, "ND"), (91, "CR")],
        ADMIRALONCO,
        ("SD", 56, False),
    ),
    (
        "ND and NE between, one allowed",
        [(56, "PR"), (70, "ND"), (77, "NE"), (91, "PR")],
        CONFIRM,
        ("SD", 56, False),
    ),
    # SD minimum, unconfirmed BOR
    ("SD on day 42", [(42, "SD")], {}, ("SD", 42, None)),
    ("SD on day 41", [(41, "SD")], {}, ("NE", 41, None)),
    ("SD minimum 28", [(30, "SD")], {"sd_min_days": 28}, ("SD", 30, None)),
    ("early SD then PD", [(21, "SD"), (60, "PD")], {}, ("PD", 60, None)),
    ("unconfirmed PR counts", [(10, "PR"), (38, "PD")], {}, ("PR", 10, None)),
    ("unconfirmed CR beats PR", [(56, "PR"), (84, "CR")], {}, ("CR", 84, None)),
    ("NE then SD", [(14, "NE"), (56, "SD")], {}, ("SD", 56, None)),
    ("NE only", [(14, "NE")], {}, ("NE", 14, None)),
    ("PD first", [(14, "PD")], CONFIRM, ("PD", 14, False)),
    # before treatment start
    ("before start ignored", [(-10, "PR"), (50, "SD")], {}, ("SD", 50, None)),
    ("before start cannot confirm", [(-20, "PR"), (14, "PR")], CONFIRM, ("NE", 14, False)),
    ("only before start", [(-10, "PR")], {}, (None, None, None)),
    ("on the start day", [(0, "PR")], {}, ("PR", 0, None)),
    # after the first PD
    (
        "after PD ignored",
        [(50, "SD"), (80, "PD"), (110, "CR"), (140, "CR")],
        CONFIRM,
        ("SD", 50, False),
    ),
    ("after PD ignored, unconfirmed", [(21, "SD"), (30, "PD"), (60, "PR")], {}, ("PD", 30, None)),
    # no assessment
    ("no assessment", [], {}, (None, None, None)),
    ("no assessment, confirmation", [], CONFIRM, (None, None, None)),
    ("no assessment as NE", [], {"missing_as_ne": True}, ("NE", None, None)),
    (
        "no assessment as NE, confirmation",
        [],
        {**CONFIRM, "missing_as_ne": True},
        ("NE", None, False),
    ),
]


@pytest.mark.parametrize(("name", "pairs", "params", "expected"), RULES, ids=[r[0] for r in RULES])
def test_rule(
    name: str,
    pairs: Course,
    params: dict[str, Any],
    expected: tuple[str | None, int | None, bool | None],
) -> None:
    assert outcome(run(pairs, **params)) == expected


@pytest.mark.parametrize(
    ("pairs", "progression_day", "params", "expected"),
    [
        ([(30, "PR"), (60, "PR")], 45, {}, ("PR", 30, None)),
        ([(30, "PR"), (60, "PR")], 45, CONFIRM, ("NE", 30, False)),
        ([(30, "PR"), (60, "PR")], 60, CONFIRM, ("PR", 30, True)),  # on the date counts
        ([(50, "SD"), (70, "PD")], 90, {}, ("SD", 50, None)),
        ([(30, "SD")], 20, {}, (None, None, None)),
        ([(30, "SD")], 20, {"missing_as_ne": True}, ("NE", None, None)),
    ],
)
def test_progression_date_ends_the_period(
    pairs: Course,
    progression_day: int,
    params: dict[str, Any],
    expected: tuple[str | None, int | None, bool | None],
) -> None:
    assert outcome(run(pairs, progression_day, **params)) == expected


# ---- admiralonco's published test data (tests/testthat/test-derive_param_confirmed_bor.R) ---
# Treatment start per subject, then the assessments; source_pd: subject 9's PD on 2020-02-16.

ADMIRALONCO_SUBJECTS = {
    "1": ("2020-01-01", [("2020-01-01", "PR"), ("2020-02-01", "CR"), ("2020-02-16", "NE"),
                         ("2020-03-01", "CR"), ("2020-04-01", "SD")]),
    "2": ("2019-12-12", [("2020-01-01", "SD"), ("2020-02-01", "PR"), ("2020-03-01", "SD"),
                         ("2020-03-13", "CR")]),
    "3": ("2019-11-11", [("2019-11-12", "CR"), ("2019-12-02", "CR"), ("2020-01-01", "SD")]),
    "4": ("2019-12-30", [("2020-01-01", "PR"), ("2020-03-01", "SD"), ("2020-04-01", "SD"),
                         ("2020-05-01", "PR"), ("2020-05-15", "NON-CR/NON-PD")]),
    "5": ("2020-01-01", [("2020-01-01", "PR"), ("2020-01-10", "SD"), ("2020-01-20", "PR"),
                         ("2020-05-15", "NON-CR/NON-PD")]),
    "6": ("2020-02-02", [("2020-02-06", "PR"), ("2020-02-16", "CR"), ("2020-03-30", "PR")]),
    "7": ("2020-02-02", [("2020-02-06", "PR"), ("2020-02-16", "CR"), ("2020-04-01", "NE")]),
    "8": ("2020-04-01", []),
    "9": ("2020-02-01", [("2020-02-16", "PD"), ("2020-03-06", "SD")]),
}  # fmt: skip

#: Test 1: ref_start_window 28, ref_confirm 28 (defaults max_nr_ne 1, accept_sd FALSE).
ADMIRALONCO_TEST_1 = {
    "1": ("CR", "2020-02-01"),
    "2": ("SD", "2020-02-01"),
    "3": ("SD", "2020-01-01"),
    "4": ("SD", "2020-03-01"),
    "5": ("NON_CR_NON_PD", "2020-05-15"),
    "6": ("SD", "2020-03-30"),
    "7": ("NE", "2020-02-06"),
    "8": (None, None),  # MISSING
    "9": ("PD", "2020-02-16"),
}
#: Test 2: ref_confirm 14, max_nr_ne 0, accept_sd TRUE, missing_as_ne TRUE; subject 7 has
#: only an ND on 2020-04-02, for which admiralonco gives ND and pseudoprog NE.
ADMIRALONCO_TEST_2 = {
    "1": ("PR", "2020-01-01"),
    "2": ("PR", "2020-02-01"),
    "3": ("CR", "2019-11-12"),
    "4": ("SD", "2020-03-01"),
    "5": ("PR", "2020-01-01"),
    "6": ("SD", "2020-03-30"),
    "7": ("NE", "2020-04-02"),
    "8": ("NE", None),
    "9": ("PD", "2020-02-16"),
}


def _admiralonco_subject(subject: str, test: int) -> BestResponse:
    start, rows = ADMIRALONCO_SUBJECTS[subject]
    if test == 2 and subject == "7":
        rows = [("2020-04-02", "ND")]
    params = (
        BestResponseParameters(**ADMIRALONCO, sd_min_days=28, confirmation_min_days=28)
        if test == 1
        else BestResponseParameters(
            **ADMIRALONCO,
            sd_min_days=28,
            confirmation_min_days=14,
            max_ne_between=0,
            accept_sd_between=True,
            missing_as_ne=True,
        )
    )
    return best_overall_response(
        [AssessedResponse(date.fromisoformat(d), OverallResponse.parse(r)) for d, r in rows],
        treatment_start=date.fromisoformat(start),
        params=params,
    )


@pytest.mark.parametrize("subject", sorted(ADMIRALONCO_SUBJECTS))
@pytest.mark.parametrize("test", [1, 2])
def test_admiralonco_published_cases(subject: str, test: int) -> None:
    expected = (ADMIRALONCO_TEST_1 if test == 1 else ADMIRALONCO_TEST_2)[subject]
    result = _admiralonco_subject(subject, test)
    bor = result.best_overall_response
    got = (None if bor is None else bor.value, None if result.date is None else str(result.date))
    assert got == expected


def test_admiralonco_subject_3_under_recist_table_3() -> None:
    """CR on day 1, CR on day 21, SD on day 51: admiralonco SD; RECIST Table 3 PD."""
    start, rows = ADMIRALONCO_SUBJECTS["3"]
    result = best_overall_response(
        [AssessedResponse(date.fromisoformat(d), OverallResponse.parse(r)) for d, r in rows],
        treatment_start=date.fromisoformat(start),
        params=BestResponseParameters(confirmation_required=True, sd_min_days=28),
    )
    assert outcome(result)[0] == "PD"
    assert [w.code for w in result.warnings] == ["cr_then_sd"]


# ---- reasons and warnings -----------------------------------------------------------------


def test_confirmed_reason_quotes_the_rule_and_the_numbers() -> None:
    result = run([(56, "PR"), (88, "CR")], **CONFIRM)
    assert result.reasons[0].code == "confirmed"
    assert result.reasons[0].message == (
        "PR on 2021-03-01 confirmed by CR on 2021-04-02 (32 days later, at least 28 required; "
        "0 NE between, at most 1 allowed)"
    )


@pytest.mark.parametrize(
    ("pairs", "params", "fragment"),
    [
        ([(56, "PR"), (83, "PR")], CONFIRM, "(the next PR, on 2021-03-28, is 27 days later)"),
        ([(56, "PR"), (70, "SD"), (91, "PR")], CONFIRM, "SD on 2021-03-15 comes between"),
        ([(56, "CR"), (70, "NE"), (77, "NE"), (91, "CR")], CONFIRM, "2 NE between it"),
        (
            [(56, "PR"), (70, "SD"), (77, "SD"), (91, "PR")],
            {**CONFIRM, "accept_sd_between": True},
            "2 SD between it",
        ),
        (
            [(56, "PR"), (70, "CR"), (91, "PR")],
            ADMIRALONCO,
            "PR on 2021-04-05 follows CR on 2021-03-15 before the confirmation",
        ),
        ([(56, "PR")], CONFIRM, "counts as SD: 56 days after the treatment start"),
    ],
)
def test_unconfirmed_reason_says_why(pairs: Course, params: dict[str, Any], fragment: str) -> None:
    result = run(pairs, **params)
    assert result.reasons[0].code == "not_confirmed"
    assert fragment in result.reasons[0].message


def test_cr_then_pr_warning_names_both_dates() -> None:
    result = run([(56, "CR"), (84, "PR")], **CONFIRM)
    assert [w.code for w in result.warnings] == ["cr_then_pr"]
    assert "PR on 2021-03-29 follows CR on 2021-03-01" in result.warnings[0].message
    # also without confirmation, and in admiralonco's derivation
    assert [w.code for w in run([(56, "CR"), (84, "PR")]).warnings] == ["cr_then_pr"]
    assert [w.code for w in run([(56, "CR"), (84, "PR")], **ADMIRALONCO).warnings] == ["cr_then_pr"]


def test_disease_after_cr_reason_and_period() -> None:
    result = run([(56, "CR"), (84, "SD"), (112, "PR"), (140, "PR")], **CONFIRM)
    assert outcome(result) == ("SD", 56, False)
    codes = [r.code for r in result.reasons]
    assert "disease_after_cr" in codes
    assert "after_progression" in codes
    # admiralonco confirms the later PR
    assert outcome(run([(56, "CR"), (84, "SD"), (112, "PR"), (140, "PR")], **ADMIRALONCO)) == (
        "PR",
        112,
        True,
    )


def test_before_treatment_start_warning() -> None:
    result = run([(-10, "PR"), (-3, "SD"), (50, "SD")])
    assert [w.code for w in result.warnings] == ["before_treatment_start"]
    assert "2 assessments before the treatment start 2021-01-04" in result.warnings[0].message


def test_no_assessment_reason() -> None:
    result = run([])
    assert result.reasons[0].code == "no_assessment"
    assert result.to_dict()["best_overall_response"] is None
    only_before = run([(-5, "PR")])
    assert "on or after the treatment start 2021-01-04" in only_before.reasons[0].message


def test_reasons_explain_why_not_better() -> None:
    result = run([(21, "SD"), (35, "PR"), (60, "PD")], **CONFIRM)
    assert outcome(result) == ("PD", 60, False)
    messages = [r.message for r in result.reasons]
    assert messages[0].startswith("PD on 2021-03-05")
    assert any(m.startswith("SD on 2021-01-25 counts as NE") for m in messages)
    assert any(m.startswith("PR on 2021-02-08 not confirmed") for m in messages)


def test_to_dict_and_summary() -> None:
    result = run([(56, "PR"), (84, "PR")], **CONFIRM)
    document = result.to_dict()
    assert set(document) == {
        "best_overall_response",
        "date",
        "confirmed",
        "reasons",
        "warnings",
        "parameters",
    }
    assert document["best_overall_response"] == "PR"
    assert document["date"] == "2021-03-01"
    assert document["confirmed"] is True
    assert document["reasons"][0]["code"] == "confirmed"
    assert document["parameters"]["confirmation_required"] is True
    assert result.summary().splitlines()[0] == (
        "Best overall response PR (partial response), confirmed, on 2021-03-01"
    )


# ---- input handling -----------------------------------------------------------------------


def test_unsorted_input_is_sorted() -> None:
    pairs = [(84, "PR"), (56, "PR"), (120, "PD")]
    assert outcome(run(pairs, **CONFIRM)) == ("PR", 56, True)


def test_two_responses_on_one_date_is_an_error_naming_the_date() -> None:
    with pytest.raises(ParameterError, match=r"2021-03-01 \(PR and SD\)"):
        run([(56, "PR"), (56, "SD")])


def test_identical_repeats_are_merged() -> None:
    assert outcome(run([(56, "PR"), (56, "PR"), (84, "PR")], **CONFIRM)) == ("PR", 56, True)


def test_progression_before_treatment_start_is_an_error() -> None:
    with pytest.raises(ParameterError, match="progression_date 2021-01-01 is before"):
        run([(10, "SD")], progression_day=-3)


def test_assessed_response_parses_codes_and_rejects_bad_values() -> None:
    assert AssessedResponse(START, "non-CR/non-PD").response is OverallResponse.NON_CR_NON_PD  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'iPR' is not a known overall response"):
        AssessedResponse(START, "iPR")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"date must be a datetime\.date"):
        AssessedResponse("2021-01-04", OverallResponse.PR)  # type: ignore[arg-type]


def test_responses_must_be_assessed_responses() -> None:
    with pytest.raises(ParameterError, match="responses must be AssessedResponse"):
        best_overall_response([(START, "PR")], treatment_start=START)  # type: ignore[list-item]


# ---- parameters ---------------------------------------------------------------------------


def test_parameters_defaults_and_round_trip() -> None:
    params = BestResponseParameters()
    assert params.to_dict() == {
        "confirmation_required": False,
        "confirmation_min_days": 28,
        "sd_min_days": 42,
        "max_ne_between": 1,
        "accept_sd_between": False,
        "missing_as_ne": False,
        "nd_as_ne": True,
        "disease_after_cr_as_pd": True,
    }
    custom = BestResponseParameters(confirmation_required=True, max_ne_between=2)
    assert BestResponseParameters.from_mapping(custom.to_dict()) == custom


def test_parameters_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        BestResponseParameters(True)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_ne": 2}, "unknown key 'max_ne'; known keys: confirmation_required, "),
        ({"sd_min_days": "42"}, "sd_min_days must be a whole number, got '42'"),
        ({"sd_min_days": 6.5}, "sd_min_days must be a whole number, got 6.5"),
        ({"max_ne_between": True}, "max_ne_between must be a whole number, got True"),
        ({"confirmation_required": "yes"}, "confirmation_required must be true or false"),
        ({"confirmation_min_days": -1}, "confirmation_min_days must not be negative, got -1"),
    ],
)
def test_from_mapping_rejects(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match="^" + message.replace("(", r"\(")):
        BestResponseParameters.from_mapping(values)


def test_from_mapping_reports_every_problem() -> None:
    with pytest.raises(ParameterError) as caught:
        BestResponseParameters.from_mapping({"max_ne": 2, "sd_min_days": -1})
    assert "unknown key 'max_ne'" in str(caught.value)
    assert "sd_min_days must not be negative" in str(caught.value)


def test_constructor_validates() -> None:
    with pytest.raises(ParameterError, match="sd_min_days must not be negative, got -5"):
        BestResponseParameters(sd_min_days=-5)


def test_docstring_examples() -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 5


# ---- properties (hypothesis) --------------------------------------------------------------

CODES = ["CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE", "ND"]


@st.composite
def courses(
    draw: st.DrawFn, *, min_day: int = -30, codes: Sequence[str] = CODES
) -> list[tuple[int, str]]:
    days = draw(st.lists(st.integers(min_day, 400), max_size=9, unique=True))
    return [(d, draw(st.sampled_from(list(codes)))) for d in days]


@st.composite
def parameter_sets(draw: st.DrawFn) -> BestResponseParameters:
    return BestResponseParameters(
        confirmation_required=draw(st.booleans()),
        confirmation_min_days=draw(st.sampled_from([0, 14, 21, 28, 35])),
        sd_min_days=draw(st.sampled_from([0, 28, 42, 56])),
        max_ne_between=draw(st.integers(0, 3)),
        accept_sd_between=draw(st.booleans()),
        missing_as_ne=draw(st.booleans()),
        nd_as_ne=draw(st.booleans()),
        disease_after_cr_as_pd=draw(st.booleans()),
    )


progression_days = st.none() | st.integers(0, 400)


def evaluate(
    pairs: Course, params: BestResponseParameters, progression_day: int | None, shift: int = 0
) -> BestResponse:
    start = START + timedelta(days=shift)
    return best_overall_response(
        [AssessedResponse(start + timedelta(days=d), OverallResponse(c)) for d, c in pairs],
        treatment_start=start,
        params=params,
        progression_date=None if progression_day is None else start + timedelta(progression_day),
    )


def rank(result: BestResponse) -> int:
    bor = result.best_overall_response
    return len(ORDER) if bor is None else ORDER.index(bor.value)


@settings(max_examples=400, deadline=None)
@given(
    pairs=courses(), params=parameter_sets(), prog=progression_days, shift=st.integers(-5000, 5000)
)
def test_shifting_every_date_changes_nothing(
    pairs: Course, params: BestResponseParameters, prog: int | None, shift: int
) -> None:
    base = evaluate(pairs, params, prog)
    moved = evaluate(pairs, params, prog, shift)
    assert moved.best_overall_response == base.best_overall_response
    assert moved.confirmed == base.confirmed
    if base.date is None:
        assert moved.date is None
    else:
        assert moved.date == base.date + timedelta(days=shift)
    assert [r.code for r in moved.reasons] == [r.code for r in base.reasons]
    assert [w.code for w in moved.warnings] == [w.code for w in base.warnings]


@settings(max_examples=400, deadline=None)
@given(
    pairs=courses(),
    params=parameter_sets(),
    prog=progression_days,
    pd_day=st.integers(0, 300),
    extra=st.tuples(st.integers(1, 300), st.sampled_from(CODES)),
)
def test_an_assessment_after_the_first_pd_changes_nothing(
    pairs: Course,
    params: BestResponseParameters,
    prog: int | None,
    pd_day: int,
    extra: tuple[int, str],
) -> None:
    with_pd = [(d, c) for d, c in pairs if d != pd_day] + [(pd_day, "PD")]
    first_pd = min(d for d, c in with_pd if c == "PD" and d >= 0)
    day = first_pd + extra[0]
    assume(all(d != day for d, _ in with_pd))
    base = evaluate(with_pd, params, prog)
    more = evaluate([*with_pd, (day, extra[1])], params, prog)
    assert outcome(more) == outcome(base)
    assert more.warnings == base.warnings


@settings(max_examples=400, deadline=None)
@given(pairs=courses(), params=parameter_sets(), prog=progression_days)
def test_confirmed_is_never_better_than_unconfirmed(
    pairs: Course, params: BestResponseParameters, prog: int | None
) -> None:
    values = params.to_dict()
    confirmed = evaluate(
        pairs, BestResponseParameters(**{**values, "confirmation_required": True}), prog
    )
    unconfirmed = evaluate(
        pairs, BestResponseParameters(**{**values, "confirmation_required": False}), prog
    )
    assert rank(confirmed) >= rank(unconfirmed)


@settings(max_examples=300, deadline=None)
@given(pairs=courses(), params=parameter_sets(), prog=progression_days, seed=st.integers(0, 10**6))
def test_input_order_does_not_matter(
    pairs: Course, params: BestResponseParameters, prog: int | None, seed: int
) -> None:
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    assert evaluate(shuffled, params, prog) == evaluate(pairs, params, prog)


# ---- cross-check: admiralonco's documented derivation, written out plainly ----------------


def admiralonco_confirmed_bor(
    pairs: Course,
    *,
    ref_start_window: int,
    ref_confirm: int,
    max_nr_ne: int,
    accept_sd: bool,
    missing_as_ne: bool,
) -> tuple[str | None, int | None]:
    """``derive_param_confirmed_bor()`` as its documentation describes it.

    Days are counted from the reference date; the records are those up to the first PD (the
    ``source_pd`` restriction). Each record yields candidate rows (order, day, value); the row
    with the smallest order, then the earliest day, is the result.
    """
    records = sorted(pairs)
    first_pd = next((d for d, v in records if v == "PD"), None)
    if first_pd is not None:
        records = [(d, v) for d, v in records if d <= first_pd]

    def joined(i: int, first_cond: Any) -> list[tuple[int, str]] | None:
        """Records after ``i`` up to the first one meeting ``first_cond`` (None if none)."""
        out = []
        for d, v in records[i + 1 :]:
            out.append((d, v))
            if first_cond(d, v):
                return out
        return None

    rows: list[tuple[int, int, str]] = []
    for i, (day, value) in enumerate(records):
        if value == "CR":
            join = joined(i, lambda d, v, day=day: v == "CR" and d >= day + ref_confirm)
            if (
                join is not None
                and all(v in ("CR", "NE") for _, v in join)
                and sum(v == "NE" for _, v in join) <= max_nr_ne
            ):
                rows.append((1, day, "CR"))
        if value == "PR":
            join = joined(i, lambda d, v, day=day: v in ("CR", "PR") and d >= day + ref_confirm)
            if join is not None:
                cr_days = [d for d, v in join if v == "CR"]
                pr_days = [d for d, v in join if v == "PR"]
                if (
                    all(v in ("CR", "PR", "SD", "NE") for _, v in join)
                    and sum(v == "NE" for _, v in join) <= max_nr_ne
                    and sum(v == "SD" for _, v in join) <= (1 if accept_sd else 0)
                    and (not cr_days or not pr_days or min(cr_days) > max(pr_days))
                ):
                    rows.append((2, day, "PR"))
        if value in ("CR", "PR", "SD") and day >= ref_start_window:
            rows.append((3, day, "SD"))
        if value == "NON_CR_NON_PD" and day >= ref_start_window:
            rows.append((4, day, "NON_CR_NON_PD"))
        if value == "PD":
            rows.append((5, day, "PD"))
        if value == "NE" or (
            value in ("CR", "PR", "SD", "NON_CR_NON_PD") and day < ref_start_window
        ):
            rows.append((6, day, "NE"))
        if value == "ND":
            rows.append((7, day, "ND"))
    if not rows:
        return ("NE" if missing_as_ne else None), None
    _, day, value = min(rows)
    return value, day


@st.composite
def admiralonco_cases(
    draw: st.DrawFn, codes: Sequence[str] = CODES
) -> tuple[list[tuple[int, str]], dict[str, Any]]:
    pairs = draw(courses(min_day=0, codes=codes))
    options = {
        "ref_start_window": draw(st.sampled_from([0, 28, 42])),
        "ref_confirm": draw(st.sampled_from([14, 21, 28])),
        "max_nr_ne": draw(st.integers(0, 2)),
        "accept_sd": draw(st.booleans()),
        "missing_as_ne": draw(st.booleans()),
    }
    return pairs, options


def pseudoprog_params(options: dict[str, Any], **rest: bool) -> BestResponseParameters:
    return BestResponseParameters(
        confirmation_required=True,
        sd_min_days=options["ref_start_window"],
        confirmation_min_days=options["ref_confirm"],
        max_ne_between=options["max_nr_ne"],
        accept_sd_between=options["accept_sd"],
        missing_as_ne=options["missing_as_ne"],
        **rest,
    )


def agree(pairs: Course, expected: tuple[str | None, int | None], result: BestResponse) -> None:
    value, day = expected
    got_value, got_day, _ = outcome(result)
    if value == "ND":  # documented difference: ND is never a best overall response
        assert (got_value, got_day) == ("NE", day)
        return
    assert got_value == value
    nd_before = any(c == "ND" and day is not None and d < day for d, c in pairs)
    if not (value == "NE" and nd_before):  # documented difference: ND ranks as NE
        assert got_day == day


@settings(max_examples=1000, deadline=None)
@given(case=admiralonco_cases())
def test_matches_admiralonco_with_its_options(
    case: tuple[list[tuple[int, str]], dict[str, Any]],
) -> None:
    pairs, options = case
    expected = admiralonco_confirmed_bor(pairs, **options)
    result = evaluate(
        pairs, pseudoprog_params(options, nd_as_ne=False, disease_after_cr_as_pd=False), None
    )
    agree(pairs, expected, result)


def _disease_after_cr(pairs: Course) -> bool:
    seen_cr = False
    for _, code in sorted(pairs):
        if code == "PD":
            return False
        seen_cr = seen_cr or code == "CR"
        if seen_cr and code in ("SD", "PR"):
            return True
    return False


@settings(max_examples=1000, deadline=None)
@given(case=admiralonco_cases(codes=CODES[:-1]))  # no ND
def test_matches_admiralonco_by_default_outside_the_documented_differences(
    case: tuple[list[tuple[int, str]], dict[str, Any]],
) -> None:
    pairs, options = case
    assume(not _disease_after_cr(pairs))
    expected = admiralonco_confirmed_bor(pairs, **options)
    agree(pairs, expected, evaluate(pairs, pseudoprog_params(options), None))


def admiralonco_bor(pairs: Course, *, ref_start_window: int) -> tuple[str | None, int | None]:
    """``derive_param_bor()`` (unconfirmed): SD and NON-CR/NON-PD before the window are NE."""
    records = sorted(pairs)
    first_pd = next((d for d, v in records if v == "PD"), None)
    if first_pd is not None:
        records = [(d, v) for d, v in records if d <= first_pd]
    order = {"CR": 1, "PR": 2, "SD": 3, "NON_CR_NON_PD": 4, "PD": 5, "NE": 6}
    rows = []
    for day, value in records:
        if value in ("SD", "NON_CR_NON_PD") and day < ref_start_window:
            value = "NE"
        rows.append((order[value], day, value))
    if not rows:
        return None, None
    _, day, value = min(rows)
    return value, day


@settings(max_examples=800, deadline=None)
@given(
    pairs=courses(min_day=0, codes=CODES[:-1]),
    window=st.sampled_from([0, 28, 42]),
    cr_rule=st.booleans(),
)
def test_unconfirmed_matches_admiralonco(pairs: Course, window: int, cr_rule: bool) -> None:
    params = BestResponseParameters(sd_min_days=window, disease_after_cr_as_pd=cr_rule)
    expected = admiralonco_bor(pairs, ref_start_window=window)
    assert outcome(evaluate(pairs, params, None))[:2] == expected
