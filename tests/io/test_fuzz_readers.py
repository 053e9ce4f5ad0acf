"""Fuzzed tables never crash a reader: a valid result, or a pseudoprog error with a message.

The generators are in ``tests/fuzz_strategies.py``; ``benchmarks/fuzz.py`` runs the same ones
on tens of thousands of inputs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz_strategies import EXTRA_READERS, READERS, Case, cases, run_api

FUZZ = settings.get_profile("fuzz")


def _run(case: Case) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        outcome = run_api(case, Path(folder))
    assert outcome.status in ("accepted", "rejected")


@pytest.mark.parametrize("reader", READERS + EXTRA_READERS)
@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_csv_tables(reader: str, data: st.DataObject) -> None:
    _run(data.draw(cases(reader), label="case"))


@pytest.mark.parametrize("reader", [*READERS, "evidence_table", "accuracy"])
@settings(FUZZ, max_examples=12)
@given(data=st.data())
def test_excel_workbooks(reader: str, data: st.DataObject) -> None:
    _run(data.draw(cases(reader, excel=True), label="case"))
