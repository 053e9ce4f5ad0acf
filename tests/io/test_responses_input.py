"""The responses and treatment-start tables, and the parameters file, of ``best-response``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pseudoprog.criteria.best_response import AssessedResponse, BestResponseParameters
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.errors import InputValidationError, ParameterError
from pseudoprog.io.responses import ResponseInput, load_responses, read_parameters

START_CSV = "patient_id,treatment_date,progression_date\nP1,2021-01-04,\nP2,2021-01-11,2021-06-01\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, responses: str, starts: str = START_CSV) -> ResponseInput:
    return load_responses(
        responses=write(tmp_path, "responses.csv", responses),
        treatment_start=write(tmp_path, "start.csv", starts),
    )


def problems(tmp_path: Path, responses: str, starts: str = START_CSV) -> list[str]:
    with pytest.raises(InputValidationError) as caught:
        load(tmp_path, responses, starts)
    return [str(p) for p in caught.value.problems]


def test_reads_both_tables(tmp_path: Path) -> None:
    data = load(
        tmp_path,
        "patient_id,date,response\n"
        "P1,2021-03-01,partial response\n"
        "P1,2021-02-15,NON-CR/NON-PD\n"
        "P2,2021-03-01,nn\n"
        "P1,2021-04-01,not done\n",
    )
    assert [p.patient_id for p in data.patients] == ["P1", "P2"]
    p1, p2 = data.patients
    assert p1.treatment_start == date(2021, 1, 4)
    assert p1.progression_date is None
    assert p1.responses == (
        AssessedResponse(date(2021, 2, 15), OverallResponse.NON_CR_NON_PD),
        AssessedResponse(date(2021, 3, 1), OverallResponse.PR),
        AssessedResponse(date(2021, 4, 1), OverallResponse.ND),
    )
    assert p2.progression_date == date(2021, 6, 1)
    assert p2.responses == (AssessedResponse(date(2021, 3, 1), OverallResponse.NON_CR_NON_PD),)
    assert data.sources[0].startswith("responses table ")


def test_patient_without_responses_is_allowed(tmp_path: Path) -> None:
    data = load(tmp_path, "patient_id,date,response\nP1,2021-03-01,SD\n")
    p2 = data.patients[1]
    assert p2.responses == ()
    result = p2.best_response(BestResponseParameters())
    assert result.best_overall_response is None
    assert result.reasons[0].code == "no_assessment"


def test_every_problem_at_once_with_row_and_column(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "patient_id,date,response\n"
        "P1,2021-03-01,PR\n"  # row 2
        "P1,03/04/2021,SD\n"  # row 3: ambiguous date
        "P1,2021-04-01,iPR\n"  # row 4: not an overall response
        "P9,2021-04-01,SD\n"  # row 5: not in the treatment-start table
        ",2021-04-01,SD\n"  # row 6: no patient
        "P2,2021-04-01,\n",  # row 7: no response
    )
    assert len(found) == 5
    joined = "\n".join(found)
    assert "responses table " in joined
    assert "row 3, column 'date': not a valid date (got '03/04/2021')" in joined
    assert "row 4, column 'response': unknown response (got 'iPR')" in joined
    assert "row 5, column 'patient_id': patient not in the treatment-start table" in joined
    assert "row 6, column 'patient_id': empty cell" in joined
    assert "row 7, column 'response': empty cell" in joined


def test_two_different_responses_on_one_date_name_both_rows(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "patient_id,date,response\nP1,2021-03-01,PR\nP2,2021-03-01,SD\nP1,2021-03-01,SD\n",
    )
    assert len(found) == 1
    assert "row 4, column 'response'" in found[0]
    assert "patient P1 has two different responses on 2021-03-01 (row 2: PR, row 4: SD)" in found[0]


def test_identical_repeats_are_merged_with_a_notice(tmp_path: Path) -> None:
    data = load(
        tmp_path, "patient_id,date,response\nP1,2021-03-01,PR\nP1,2021-03-01,partial response\n"
    )
    assert len(data.patients[0].responses) == 1
    assert any("1 identical repeated row(s)" in n for n in data.notices)


def test_treatment_start_problems(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "patient_id,date,response\nP1,2021-03-01,PR\n",
        "patient_id,treatment_date,progression_date\n"
        "P1,2021-01-04,2020-12-01\n"  # row 2: progression before treatment
        "P2,2021-01-04,\n"
        "P2,2021-01-05,\n"  # row 4: listed twice, different date
        "P3,,\n",  # row 5: no treatment date
    )
    joined = "\n".join(found)
    assert len(found) == 3
    assert "treatment-start table " in joined
    assert "row 2, column 'progression_date': progression date before the treatment date" in joined
    assert "row 4, column 'patient_id': patient P2 is listed twice" in joined
    assert "(first on row 3)" in joined
    assert "row 5, column 'treatment_date': empty cell" in joined


def test_missing_columns_and_files(tmp_path: Path) -> None:
    found = problems(tmp_path, "patient,date,response\nP1,2021-03-01,PR\n")
    assert any("required column 'patient_id' is missing" in p for p in found)
    with pytest.raises(InputValidationError) as caught:
        load_responses(responses=tmp_path / "nope.csv", treatment_start=tmp_path / "none.csv")
    assert len(caught.value.problems) == 2
    assert all("file not found" in str(p) for p in caught.value.problems)


def test_unknown_columns_are_noted(tmp_path: Path) -> None:
    data = load(tmp_path, "patient_id,date,response,reader\nP1,2021-03-01,PR,AB\n")
    assert any("ignored column(s) reader" in n for n in data.notices)


def test_workbooks_are_read(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    responses = tmp_path / "responses.xlsx"
    pd.DataFrame(
        {
            "patient_id": ["P1", "P1"],
            "date": [pd.Timestamp("2021-02-15"), pd.Timestamp("2021-03-15")],
            "response": ["PR", "NON-CR/NON-PD"],
        }
    ).to_excel(responses, index=False)
    data = load_responses(
        responses=responses, treatment_start=write(tmp_path, "start.csv", START_CSV)
    )
    assert [a.response for a in data.patients[0].responses] == [
        OverallResponse.PR,
        OverallResponse.NON_CR_NON_PD,
    ]


# ---- parameters file ----------------------------------------------------------------------


def test_parameters_file(tmp_path: Path) -> None:
    path = write(tmp_path, "p.toml", "confirmation_required = true\nmax_ne_between = 2\n")
    params = read_parameters(path)
    assert params == BestResponseParameters(confirmation_required=True, max_ne_between=2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_ne = 2\n", "unknown key 'max_ne'; known keys: confirmation_required, "),
        ('sd_min_days = "42"\n', "sd_min_days must be a whole number, got '42'"),
        ("confirmation_required = 1\n", "confirmation_required must be true or false, got 1"),
        ("sd_min_days = -1\n", "sd_min_days must not be negative, got -1"),
        ("confirmation_required = yes\n", "not a valid TOML file"),
        ("[best_response]\nsd_min_days = 42\n", "unknown key 'best_response'"),
    ],
)
def test_parameters_file_errors_name_the_file_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "p.toml", text)
    with pytest.raises(ParameterError) as caught:
        read_parameters(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_parameters_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="parameters file not found"):
        read_parameters(tmp_path / "missing.toml")
