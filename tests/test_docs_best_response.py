"""docs/best-response.md states what the code does: its examples run, its tables match."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path

import pytest

from pseudoprog.criteria.best_response import (
    AssessedResponse,
    BestResponseParameters,
    BestResponseRule,
    BestResponseWarning,
    best_overall_response,
)
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.io.responses import read_parameters
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "best-response.md"
TEXT = DOC.read_text(encoding="utf-8")
PYTHON = re.findall(r"^```python\n(.*?)^```", TEXT, re.S | re.M)
TOML = re.findall(r"^```toml\n(.*?)^```", TEXT, re.S | re.M)


def table_rows(first_header: str) -> list[list[str]]:
    """The rows of the markdown table whose header starts with ``| first_header |``."""
    lines = TEXT.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_the_examples_run_as_written() -> None:
    assert len(PYTHON) >= 6
    namespace: dict[str, object] = {"__name__": "best_response_doc"}
    for block in PYTHON:  # later blocks use what earlier ones define
        exec(compile(block, str(DOC), "exec"), namespace)


def test_the_parameters_file_example_reads(tmp_path: Path) -> None:
    assert TOML
    path = tmp_path / "protocol.toml"
    path.write_text(TOML[0], encoding="utf-8")
    assert read_parameters(path) == BestResponseParameters(
        confirmation_required=True, sd_min_days=56
    )


def test_parameter_table_lists_every_parameter_with_its_default() -> None:
    shown = {row[0].strip("`"): row[1] for row in table_rows("name")}
    defaults = BestResponseParameters().to_dict()
    assert set(shown) == {f.name for f in fields(BestResponseParameters)}
    for name, value in defaults.items():
        assert shown[name] == (str(value).lower() if isinstance(value, bool) else str(value))


def test_every_code_is_documented() -> None:
    reasons = {row[0].strip("`") for row in table_rows("reason code")}
    warnings = {row[0].strip("`") for row in table_rows("warning code")}
    assert reasons == {r.value for r in BestResponseRule}
    assert warnings == {w.value for w in BestResponseWarning}


TABLE_3 = table_rows("first")


@pytest.mark.parametrize("row", TABLE_3, ids=[f"{r[0]}-{r[1]}" for r in TABLE_3])
def test_table_3_as_documented(row: list[str]) -> None:
    first, second, _, met, not_met = row
    start = date(2021, 1, 4)
    params = BestResponseParameters(confirmation_required=True)
    for days, cell in (((56, 84), met), ((10, 38), not_met)):
        result = best_overall_response(
            [
                AssessedResponse(start + timedelta(days=days[0]), OverallResponse(first)),
                AssessedResponse(start + timedelta(days=days[1]), OverallResponse(second)),
            ],
            treatment_start=start,
            params=params,
        )
        expected = cell.split(",")[0].split(" ")[0]
        assert result.best_overall_response == OverallResponse(expected), (days, cell)
        assert [w.code for w in result.warnings] == re.findall(r"`(cr_then_\w+)`", cell)
